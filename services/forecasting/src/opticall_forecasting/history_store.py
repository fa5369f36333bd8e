"""Interval history in the database: upsert by (queue, interval_start), range queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from opticall_common.db import transaction
from opticall_common.events import utcnow
from opticall_forecasting.db_models import HistoryInterval, QueueCalendar

FIELDS = (
    "offered",
    "handled",
    "abandoned",
    "aht_seconds",
    "answered_within_sl",
    "asa_seconds",
)
CHUNK = 2_000


def upsert(sessions: sessionmaker[Session], rows: Sequence[dict[str, Any]]) -> int:
    """Insert or replace rows (keys: queue, interval_start and FIELDS); last one wins."""
    unique: dict[tuple[str, datetime], dict[str, Any]] = {}
    for row in rows:
        unique[(row["queue"], row["interval_start"])] = row
    values = [
        {"queue": q, "interval_start": ts, "updated_at": utcnow(), **{f: r.get(f) for f in FIELDS}}
        for (q, ts), r in unique.items()
    ]
    with transaction(sessions) as session:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for start in range(0, len(values), CHUNK):
            stmt = insert(HistoryInterval).values(values[start : start + CHUNK])
            stmt = stmt.on_conflict_do_update(
                index_elements=["queue", "interval_start"],
                set_={f: stmt.excluded[f] for f in (*FIELDS, "updated_at")},
            )
            session.execute(stmt)
    return len(values)


def _range(
    stmt: Select[Any], queue: str | None, start: datetime | None, end: datetime | None
) -> Select[Any]:
    if queue is not None:
        stmt = stmt.where(HistoryInterval.queue == queue)
    if start is not None:
        stmt = stmt.where(HistoryInterval.interval_start >= start)
    if end is not None:
        stmt = stmt.where(HistoryInterval.interval_start < end)
    return stmt


def query(
    sessions: sessionmaker[Session],
    queue: str | None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
) -> list[HistoryInterval]:
    stmt = _range(select(HistoryInterval), queue, start, end).order_by(
        HistoryInterval.queue, HistoryInterval.interval_start
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    with sessions() as session:
        return list(session.scalars(stmt))


def queues(sessions: sessionmaker[Session]) -> list[dict[str, Any]]:
    stmt = (
        select(
            HistoryInterval.queue,
            func.count(),
            func.min(HistoryInterval.interval_start),
            func.max(HistoryInterval.interval_start),
        )
        .group_by(HistoryInterval.queue)
        .order_by(HistoryInterval.queue)
    )
    with sessions() as session:
        out = []
        for queue, count, first, last in session.execute(stmt):
            out.append({"queue": queue, "intervals": count, "first": first, "last": last})
    return out


def set_open_hours(sessions: sessionmaker[Session], queue: str, hours: dict[str, Any]) -> None:
    with transaction(sessions) as session:
        row = session.get(QueueCalendar, queue)
        if row is None:
            session.add(QueueCalendar(queue=queue, open_hours=hours, updated_at=utcnow()))
        else:
            row.open_hours, row.updated_at = hours, utcnow()


def get_open_hours(sessions: sessionmaker[Session], queue: str) -> dict[str, Any] | None:
    with sessions() as session:
        row = session.get(QueueCalendar, queue)
        return dict(row.open_hours) if row is not None else None
