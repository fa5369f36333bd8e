"""Generated schedules: the draft as generated (request and result), until and after publishing.

The draft is stored whole as JSON: it is written once, read whole, and published whole; only
its status changes, so there is nothing to query inside it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from opticall_common.events import utcnow
from opticall_scheduling.models import Base


class GeneratedSchedule(Base):
    __tablename__ = "generated_schedules"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(128))
    published_at: Mapped[datetime | None]
    # {"shifts", "coverage", "uncoverable", "under_...", "over_...", "solver"} as returned.
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    shift_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
