"""Shift operations in the caller's transaction: validate, write, and record outbox events.

``create_shifts`` is the one path by which shifts come to exist (POST /shifts, /shifts/bulk,
schedule publication). The service checks overlaps itself for clear errors; on PostgreSQL the
exclusion constraint also refuses what a concurrent transaction slipped in (see ``database``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Select, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opticall_common.db import get_or_404
from opticall_common.events import ChangeOp, utcnow
from opticall_scheduling.config import DEFAULT_MAX_SHIFT_HOURS, HARD_MAX_SHIFT_HOURS
from opticall_scheduling.database import EXCLUSION_VIOLATION, FOREIGN_KEY_VIOLATION, sqlstate
from opticall_scheduling.errors import InvalidShifts, ShiftOverlap
from opticall_scheduling.models import Agent, Shift
from opticall_scheduling.outbox.writer import record_change, record_owner_change
from opticall_scheduling.shifts import rules
from opticall_scheduling.shifts.cursor import decode_cursor, encode_cursor
from opticall_scheduling.shifts.schemas import Activity, ShiftCreate, ShiftOut, ShiftUpdate

_HARD_MAX = timedelta(hours=HARD_MAX_SHIFT_HOURS)
# The app puts its configured limit into every session's info (see main.py), so callers that
# use the app's sessions get SCHEDULING_MAX_SHIFT_HOURS without passing it.
MAX_LENGTH_INFO = "max_shift_length"


def _max_length(session: Session, explicit: timedelta | None) -> timedelta:
    if explicit is not None:
        return explicit
    configured = session.info.get(MAX_LENGTH_INFO)
    return (
        configured
        if isinstance(configured, timedelta)
        else timedelta(hours=DEFAULT_MAX_SHIFT_HOURS)
    )


class ShiftRow(Protocol):
    """A stored shift: an ORM ``Shift`` or a Core row of the ``shifts`` table."""

    @property
    def id(self) -> str: ...
    @property
    def agent_id(self) -> str: ...
    @property
    def start_at(self) -> datetime: ...
    @property
    def end_at(self) -> datetime: ...
    @property
    def activity(self) -> str: ...
    @property
    def queue(self) -> str | None: ...
    @property
    def activities(self) -> list[dict[str, str]]: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


SHIFTS = Shift.__table__


def to_dict(shift: ShiftRow) -> dict[str, Any]:
    """The ``ShiftOut`` shape as plain data, for orjson: lists of shifts skip pydantic."""
    return {
        "id": shift.id,
        "agent_id": shift.agent_id,
        "start": shift.start_at,
        "end": shift.end_at,
        "activity": shift.activity,
        "queue": shift.queue,
        "activities": shift.activities or [],  # stored in the wire shape already
        "created_at": shift.created_at,
        "updated_at": shift.updated_at,
    }


def to_out(shift: Shift) -> ShiftOut:
    return ShiftOut(
        id=shift.id,
        agent_id=shift.agent_id,
        start=shift.start_at,
        end=shift.end_at,
        activity=shift.activity,
        queue=shift.queue,
        activities=[Activity.model_validate(a) for a in shift.activities or []],
        created_at=shift.created_at,
        updated_at=shift.updated_at,
    )


def activities_json(activities: list[Activity]) -> list[dict[str, str]]:
    return [a.model_dump(mode="json") for a in sorted(activities, key=lambda a: a.start)]


def new_shift(item: ShiftCreate, actor: str | None) -> Shift:
    """The row a create stores (a fresh id, stamped now): the checked path and the
    one-statement path (``shifts.fast``) build it alike."""
    now = utcnow()
    return Shift(
        id=uuid.uuid4().hex,
        agent_id=item.agent_id,
        start_at=item.start,
        end_at=item.end,
        activity=item.activity,
        queue=item.queue,
        activities=activities_json(item.activities),
        created_by=actor,
        updated_by=actor,
        created_at=now,
        updated_at=now,
    )


def _agent_errors(session: Session, agent_ids: list[str]) -> dict[str, str]:
    """agent_id -> why it cannot hold shifts (unknown or inactive)."""
    wanted = set(agent_ids)
    found = dict(
        session.execute(
            select(Agent.agent_id, Agent.active).where(Agent.agent_id.in_(wanted))
        ).all()
    )
    out = {a: "unknown agent" for a in wanted if a not in found}
    out.update({a: "agent is inactive" for a, active in found.items() if not active})
    return out


def _existing_conflicts(
    session: Session, items: list[tuple[str, datetime, datetime]], ignore: str | None = None
) -> list[tuple[int, Shift]]:
    """(index, stored shift) pairs where an item overlaps a stored shift of the same agent."""
    by_agent: dict[str, list[int]] = defaultdict(list)
    for i, (agent, _, _) in enumerate(items):
        by_agent[agent].append(i)
    conflicts: list[tuple[int, Shift]] = []
    for agent, idxs in by_agent.items():
        lo = min(items[i][1] for i in idxs)
        hi = max(items[i][2] for i in idxs)
        query = select(Shift).where(Shift.agent_id == agent, Shift.start_at < hi, Shift.end_at > lo)
        if ignore is not None:
            query = query.where(Shift.id != ignore)
        stored = session.scalars(query).all()
        for i in idxs:
            _, start, end = items[i]
            conflicts.extend(
                (i, s) for s in stored if rules.overlaps(start, end, s.start_at, s.end_at)
            )
    return conflicts


def _conflict(stored: Shift) -> dict[str, str]:
    """The clashing shift in a 409, with its times, so a client can name them to a person."""
    return {
        "conflicting_shift_id": stored.id,
        "conflicting_start": stored.start_at.isoformat(),
        "conflicting_end": stored.end_at.isoformat(),
    }


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        code = sqlstate(exc)
        if code == EXCLUSION_VIOLATION:  # a concurrent transaction won the race
            raise ShiftOverlap("the shift overlaps another shift of the same agent") from exc
        if code == FOREIGN_KEY_VIOLATION:
            raise InvalidShifts(
                [{"field": "agent_id", "message": "unknown agent (deleted meanwhile?)"}]
            ) from exc
        raise


def create_shifts(
    session: Session,
    items: list[ShiftCreate],
    actor: str | None,
    *,
    max_length: timedelta | None = None,
    indexed: bool = True,
) -> list[Shift]:
    """Validate ``items`` as a whole, insert them and their outbox rows; all or nothing.

    Raises ``InvalidShifts`` (422, errors name the ``index``), ``ShiftOverlap`` (409). The caller
    owns the transaction: nothing is visible, and nothing is published, until it commits.
    """
    max_length = _max_length(session, max_length)
    errors: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        errors += [
            {"index": i, **e}
            for e in rules.shift_errors(item.start, item.end, item.activities, max_length)
        ]
    bad_agents = _agent_errors(session, [item.agent_id for item in items])
    errors += [
        {"index": i, "field": "agent_id", "message": bad_agents[item.agent_id]}
        for i, item in enumerate(items)
        if item.agent_id in bad_agents
    ]
    if errors:
        errors.sort(key=lambda e: e["index"])
        raise InvalidShifts(errors if indexed else [_drop_index(e) for e in errors])
    spans = [(item.agent_id, item.start, item.end) for item in items]
    for a, b in rules.batch_overlaps(spans):
        raise ShiftOverlap(f"shift {b} overlaps shift {a} of the same request", index=b)
    for i, stored in _existing_conflicts(session, spans):
        where = f"shift {i} overlaps" if indexed else "the shift overlaps"
        raise ShiftOverlap(
            f"{where} existing shift {stored.id} of agent {stored.agent_id}",
            **_conflict(stored),
            **({"index": i} if indexed else {}),
        )
    shifts = [new_shift(item, actor) for item in items]
    session.add_all(shifts)
    _flush(session)  # before the outbox rows: constraint errors surface here, ids are ordered
    for shift in shifts:
        record_change(session, ChangeOp.created, shift, actor)
    session.flush()
    return shifts


def restore_shift(session: Session, data: dict[str, Any], actor: str | None) -> Shift | None:
    """Put back a deleted shift (``ShiftOut`` as JSON) under its own id, unless its agent has
    another shift there by now (or the id is taken): then None, and nothing is stored."""
    item = ShiftCreate.model_validate(
        {k: data[k] for k in ("agent_id", "start", "end", "activity", "queue", "activities")}
    )
    spans = [(item.agent_id, item.start, item.end)]
    if _existing_conflicts(session, spans) or session.get(Shift, data["id"]) is not None:
        return None
    shift = new_shift(item, actor)
    shift.id = data["id"]
    session.add(shift)
    _flush(session)
    record_change(session, ChangeOp.created, shift, actor)
    session.flush()
    return shift


def _drop_index(error: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in error.items() if k != "index"}


def get_shift(session: Session, shift_id: str, *, for_update: bool = False) -> Shift:
    return get_or_404(session, Shift, shift_id, "shift", for_update=for_update)


def update_shift(
    session: Session,
    shift_id: str,
    patch: ShiftUpdate,
    actor: str | None,
    *,
    max_length: timedelta | None = None,
) -> Shift:
    max_length = _max_length(session, max_length)
    shift = get_shift(session, shift_id, for_update=True)
    fields = patch.model_fields_set
    agent_id = patch.agent_id if "agent_id" in fields and patch.agent_id else shift.agent_id
    start = patch.start if "start" in fields and patch.start else shift.start_at
    end = patch.end if "end" in fields and patch.end else shift.end_at
    if "activities" in fields and patch.activities is not None:
        activities = patch.activities
    else:
        activities = [Activity.model_validate(a) for a in shift.activities or []]
    errors = rules.shift_errors(start, end, activities, max_length)
    if agent_id != shift.agent_id:
        bad = _agent_errors(session, [agent_id])
        if agent_id in bad:
            errors.append({"field": "agent_id", "message": bad[agent_id]})
    if errors:
        raise InvalidShifts(errors)
    for _, stored in _existing_conflicts(session, [(agent_id, start, end)], ignore=shift.id):
        raise ShiftOverlap(
            f"the shift would overlap shift {stored.id} of agent {stored.agent_id}",
            **_conflict(stored),
        )
    previous_owner = shift.agent_id
    shift.agent_id, shift.start_at, shift.end_at = agent_id, start, end
    shift.activities = activities_json(activities)
    if "activity" in fields and patch.activity:
        shift.activity = patch.activity
    if "queue" in fields:
        shift.queue = patch.queue
    shift.updated_by = actor
    _flush(session)
    if previous_owner != shift.agent_id:
        record_owner_change(session, shift, previous_owner, actor)
    else:
        record_change(session, ChangeOp.updated, shift, actor)
    session.flush()
    return shift


def delete_shift(session: Session, shift_id: str, actor: str | None) -> Shift:
    shift = get_shift(session, shift_id, for_update=True)
    session.delete(shift)
    session.flush()
    record_change(session, ChangeOp.deleted, shift, actor)  # the shift as it was
    session.flush()
    return shift


def shifts_query(
    *,
    agent_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    queue: str | None = None,
    after: tuple[datetime, str] | None = None,
    limit: int = 100,
) -> Select[Any]:
    """Shifts overlapping ``[start, end)`` ordered by (start, id), ``limit`` rows after ``after``.

    Core rows, not ORM objects: a page is read-only, and skipping the identity map halves the
    cost of a 1,000-row page. Public so the benchmark can time exactly this SQL as its baseline.
    """
    query = select(SHIFTS)
    if agent_id is not None:
        query = query.where(Shift.agent_id == agent_id)
    if start is not None:
        # The lower bound on start_at is implied by the hard length cap; it lets the index
        # on start_at do the work instead of scanning every earlier shift.
        query = query.where(Shift.end_at > start, Shift.start_at > start - _HARD_MAX)
    if end is not None:
        query = query.where(Shift.start_at < end)
    if queue is not None:
        query = query.where(Shift.queue == queue)
    if after is not None:
        # A row-value comparison, so the (start_at, id) index range starts right at the cursor.
        query = query.where(tuple_(Shift.start_at, Shift.id) > tuple_(*after))
    return query.order_by(Shift.start_at, Shift.id).limit(limit)


def list_shifts(
    session: Session,
    *,
    agent_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    queue: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[Sequence[ShiftRow], str | None]:
    """One page of ``shifts_query`` after ``cursor``, and the cursor of the next page."""
    after = decode_cursor(cursor) if cursor is not None else None
    query = shifts_query(
        agent_id=agent_id, start=start, end=end, queue=queue, after=after, limit=limit + 1
    )
    rows: Sequence[ShiftRow] = session.execute(query).all()
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].start_at, rows[-1].id)
