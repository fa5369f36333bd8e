"""The shift trades table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opticall_common.events import utcnow
from opticall_scheduling.models import Base


class ShiftTrade(Base):
    __tablename__ = "shift_trades"
    __table_args__ = (
        Index("ix_shift_trades_from", "from_agent_id", "created_at"),
        Index("ix_shift_trades_to", "to_agent_id", "created_at"),
        Index("ix_shift_trades_shift", "shift_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # No foreign keys to shifts: a trade's history outlives a shift deleted later.
    shift_id: Mapped[str] = mapped_column(String(32))
    from_agent_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("agents.agent_id", ondelete="CASCADE")
    )
    # None: an open offer, which any agent may accept.
    to_agent_id: Mapped[str | None] = mapped_column(
        String(128), ForeignKey("agents.agent_id", ondelete="CASCADE")
    )
    want_shift_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(128))
    accepted_by: Mapped[str | None] = mapped_column(String(128))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
