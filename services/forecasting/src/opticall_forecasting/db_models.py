"""The forecasting service's tables: interval history per queue, and forecast jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from opticall_common.db import UTCDateTime
from opticall_common.events import utcnow


class Base(DeclarativeBase):
    pass


class HistoryInterval(Base):
    """ACD statistics of one queue for one interval (upserted by queue + interval start)."""

    __tablename__ = "history_intervals"
    __table_args__ = (UniqueConstraint("queue", "interval_start", name="uq_history_queue_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    queue: Mapped[str] = mapped_column(String(128))
    interval_start: Mapped[datetime] = mapped_column(UTCDateTime())
    offered: Mapped[float] = mapped_column(Float)
    handled: Mapped[float | None] = mapped_column(Float, nullable=True)
    abandoned: Mapped[float | None] = mapped_column(Float, nullable=True)
    aht_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    answered_within_sl: Mapped[float | None] = mapped_column(Float, nullable=True)
    asa_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ForecastJob(Base):
    """One asynchronous forecast; ``id`` is the request id (idempotency key).

    State machine: pending -> running -> done | failed; running may go back to running when a
    worker died mid-job and the request is redelivered.
    """

    __tablename__ = "forecast_jobs"
    __table_args__ = (
        Index("ix_forecast_jobs_created", "created_at"),
        Index("ix_forecast_jobs_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    queue: Mapped[str | None] = mapped_column(String(128), nullable=True)
    metric: Mapped[str] = mapped_column(String(16), default="volume")
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    model: Mapped[str | None] = mapped_column(String(64), nullable=True)
    points: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    accuracy: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class QueueCalendar(Base):
    """A queue's weekly opening hours (``open_hours.OpenHours`` as JSON), kept beside its
    history: jobs on the queue fit and forecast its open intervals only."""

    __tablename__ = "queue_calendars"

    queue: Mapped[str] = mapped_column(String(128), primary_key=True)
    open_hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
