"""Adherence history in the service's own database: one row each time an agent's
(adherence, scheduled activity, state, queue) changes, so reports can rebuild time spent in
each combination. Rows are written in batches off the event loop by ``ChangeSink``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, func, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from opticall_common.db import transaction


class Base(DeclarativeBase):
    pass


class AdherenceSegment(Base):
    __tablename__ = "adherence_segments"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    agent_id: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    queue: Mapped[str | None] = mapped_column(String(128))
    adherence: Mapped[str] = mapped_column(String(16))
    previous: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(32))
    activity: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_adherence_segments_agent_at", "agent_id", "at"),
        Index("ix_adherence_segments_at", "at"),
    )

    def to_api(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "at": utc(self.at),
            "adherence": self.adherence,
            "previous": self.previous,
            "state": self.state,
            "scheduled_activity": self.activity,
            "queue": self.queue,
        }


def utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def insert_rows(sessions: sessionmaker[Session], rows: Sequence[dict[str, Any]]) -> None:
    with transaction(sessions) as s:
        s.execute(insert(AdherenceSegment), list(rows))


def history(
    sessions: sessionmaker[Session],
    agent_id: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> list[AdherenceSegment]:
    q = select(AdherenceSegment)
    if agent_id:
        q = q.where(AdherenceSegment.agent_id == agent_id)
    if start is not None:
        q = q.where(AdherenceSegment.at >= start)
    if end is not None:
        q = q.where(AdherenceSegment.at < end)
    q = q.order_by(AdherenceSegment.at, AdherenceSegment.id).limit(limit)
    with sessions() as s:
        return list(s.scalars(q))


def rows_for_report(
    sessions: sessionmaker[Session], start: datetime, end: datetime
) -> list[AdherenceSegment]:
    """Every row inside [start, end) plus, per agent, the last row before ``start``."""
    last_before = (
        select(AdherenceSegment.agent_id, func.max(AdherenceSegment.at).label("at"))
        .where(AdherenceSegment.at < start)
        .group_by(AdherenceSegment.agent_id)
        .subquery()
    )
    opening = select(AdherenceSegment).join(
        last_before,
        (AdherenceSegment.agent_id == last_before.c.agent_id)
        & (AdherenceSegment.at == last_before.c.at),
    )
    inside = select(AdherenceSegment).where(AdherenceSegment.at >= start, AdherenceSegment.at < end)
    with sessions() as s:
        rows = list(s.scalars(opening)) + list(s.scalars(inside))
    rows.sort(key=lambda r: (r.agent_id, utc(r.at), r.id))
    return rows
