"""Calendar feed tokens: stored as SHA-256 digests, never as the secret itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from opticall_common.events import utcnow
from opticall_scheduling.models import Base


class CalendarToken(Base):
    __tablename__ = "calendar_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agent_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("agents.agent_id", ondelete="CASCADE"), index=True
    )
    # A 256-bit random secret needs no salt or slow hash: a digest cannot be reversed, and
    # the secret cannot be guessed.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
