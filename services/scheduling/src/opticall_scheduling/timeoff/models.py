"""Tables of time off: balances, queue allowances, requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opticall_common.events import utcnow
from opticall_scheduling.models import Base


class TimeOffBalance(Base):
    """Hours of one type of time off an agent may still take."""

    __tablename__ = "time_off_balances"

    agent_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("agents.agent_id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    hours: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TimeOffAllowance(Base):
    """How many agents of a queue may be off at the same time, and whether requests within it
    are approved without a supervisor. Its row is also the lock that serialises the queue's
    requests (see ``timeoff.requests``)."""

    __tablename__ = "time_off_allowances"

    queue: Mapped[str] = mapped_column(String(128), primary_key=True)
    max_agents_off: Mapped[int] = mapped_column(Integer)
    auto_approve: Mapped[bool] = mapped_column(Boolean, default=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # [{"weekdays": [0..6], "start_time": "HH:MM", "end_time": "HH:MM", "max_agents_off": N}]
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TimeOffRequest(Base):
    __tablename__ = "time_off_requests"
    __table_args__ = (
        Index("ix_time_off_agent_start", "agent_id", "start_at"),
        Index("ix_time_off_status_start", "status", "start_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agent_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("agents.agent_id", ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(String(32))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    hours: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    # What approval did to the schedule, so a cancellation can undo it:
    # {"removed": [shift as JSON], "changed": [{"id", "activities_before", "activities_after"}]}
    schedule_effect: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str | None] = mapped_column(String(128))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
