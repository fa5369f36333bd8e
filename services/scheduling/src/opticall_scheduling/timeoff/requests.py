"""Time-off requests: create (and decide at once), approve, deny, cancel, list.

**Concurrency.** Two requests may race for the last slot of a queue's allowance. Every
request that could take a slot first locks the allowance rows of its agent's queues
(``SELECT … FOR UPDATE``, in queue order), then counts the approved time off and writes its
own. Under PostgreSQL's READ COMMITTED each statement sees what committed before it began, so
the transaction that waited for the lock counts the winner's approved request: of twenty
racing for one slot exactly one is approved and the others wait as ``pending``. A request
also locks its agent's row first (so one agent's overlapping requests, and the debits of its
balance, serialise too) and its balance row. The lock order is always agent, allowances,
balance, shifts. On SQLite every transaction is ``BEGIN IMMEDIATE`` (``database.py``), which
serialises them all.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from opticall_common.db import get_or_404
from opticall_common.events import utcnow
from opticall_common.notifications import NotificationKind
from opticall_common.problems import Problem
from opticall_scheduling.agents.service import get_agent
from opticall_scheduling.models import Shift
from opticall_scheduling.outbox.notifications import notify, quiet_shift_notes
from opticall_scheduling.shifts.cursor import decode_cursor, encode_cursor
from opticall_scheduling.timeoff import allowance, schedule
from opticall_scheduling.timeoff.models import TimeOffBalance, TimeOffRequest
from opticall_scheduling.timeoff.schemas import (
    TimeOffCreate,
    TimeOffOut,
    TimeOffReason,
    TimeOffStatus,
)

OPEN = (TimeOffStatus.pending.value, TimeOffStatus.approved.value)
DAY = timedelta(days=1)


def to_out(req: TimeOffRequest) -> TimeOffOut:
    effect = req.schedule_effect or {}
    return TimeOffOut(
        id=req.id,
        agent_id=req.agent_id,
        type=req.type,
        start=req.start_at,
        end=req.end_at,
        hours=req.hours,
        status=TimeOffStatus(req.status),
        reason=TimeOffReason(req.reason) if req.reason else None,
        note=req.note,
        changed_shift_ids=[c["id"] for c in effect.get("changed", [])],
        removed_shift_ids=[r["id"] for r in effect.get("removed", [])],
        created_by=req.created_by,
        decided_by=req.decided_by,
        decided_at=req.decided_at,
        created_at=req.created_at,
        updated_at=req.updated_at,
    )


def requested_hours(
    session: Session, agent_id: str, start: datetime, end: datetime, day_hours: float
) -> float:
    """Hours the request costs: per day of it, the agent's shift hours that day, or where the
    agent has no shift yet (a schedule not published so far ahead), at most ``day_hours``."""
    shifts = session.execute(
        select(Shift.start_at, Shift.end_at).where(
            Shift.agent_id == agent_id, Shift.start_at < end, Shift.end_at > start
        )
    ).all()
    total = 0.0
    day = start
    while day < end:
        upto = min(day + DAY, end)
        worked = sum(
            max(timedelta(0), min(e, upto) - max(s, day)).total_seconds() for s, e in shifts
        )
        touched = any(s < upto and day < e for s, e in shifts)
        total += worked / 3600 if touched else min((upto - day).total_seconds() / 3600, day_hours)
        day = upto
    return round(total, 2)


def _balance(session: Session, agent_id: str, type_: str) -> TimeOffBalance:
    row = session.get(TimeOffBalance, (agent_id, type_), with_for_update=True)
    if row is None:
        raise Problem(
            422,
            f"agent {agent_id!r} has no {type_!r} balance",
            errors=[{"field": "type", "message": "no balance of this type"}],
        )
    return row


def _message(req: TimeOffRequest, verb: str) -> str:
    span = f"{req.start_at:%Y-%m-%d %H:%M} to {req.end_at:%Y-%m-%d %H:%M} UTC"
    return f"Your {req.type} time off from {span} was {verb}."


def _approve(session: Session, req: TimeOffRequest, actor: str | None) -> None:
    """Debit the balance and change the schedule; the caller holds the locks."""
    balance = _balance(session, req.agent_id, req.type)
    if balance.hours + 1e-9 < req.hours:
        raise Problem(
            422,
            f"the {req.type} balance ({balance.hours:g} h) is short of the {req.hours:g} h asked",
            reason=TimeOffReason.balance.value,
        )
    balance.hours = round(balance.hours - req.hours, 2)
    quiet_shift_notes(session)  # the decision's notification names the shifts
    req.schedule_effect = schedule.apply(session, req, actor)
    req.status, req.reason = TimeOffStatus.approved.value, None


def _notify(session: Session, req: TimeOffRequest, kind: NotificationKind, verb: str) -> None:
    out = to_out(req)
    notify(
        session,
        req.agent_id,
        kind,
        _message(req, verb),
        req.decided_by or req.created_by,
        time_off_id=req.id,
        shift_ids=out.changed_shift_ids + out.removed_shift_ids,
    )


def create(
    session: Session,
    body: TimeOffCreate,
    actor: str | None,
    *,
    day_hours: float,
    max_days: int,
) -> TimeOffRequest:
    if body.end <= body.start:
        raise Problem(
            422, "end must be after start", errors=[{"field": "end", "message": "≤ start"}]
        )
    if body.end - body.start > max_days * DAY:
        raise Problem(422, f"a request covers at most {max_days} days")
    agent = get_agent(session, body.agent_id, for_update=True)
    clash = session.scalars(
        select(TimeOffRequest.id).where(
            TimeOffRequest.agent_id == body.agent_id,
            TimeOffRequest.status.in_(OPEN),
            TimeOffRequest.start_at < body.end,
            TimeOffRequest.end_at > body.start,
        )
    ).first()
    if clash is not None:
        raise Problem(
            409, f"the agent already has time off {clash} then", conflicting_time_off_id=clash
        )
    queues = list(agent.queues or [])
    limits = allowance.lock(session, queues)
    balance = _balance(session, body.agent_id, body.type)
    hours = requested_hours(session, body.agent_id, body.start, body.end, day_hours)
    now = utcnow()
    req = TimeOffRequest(
        id=uuid.uuid4().hex,
        agent_id=body.agent_id,
        type=body.type,
        start_at=body.start,
        end_at=body.end,
        hours=hours,
        note=body.note,
        created_by=actor,
        created_at=now,
        updated_at=now,
        schedule_effect={},
    )
    if balance.hours + 1e-9 < hours:
        req.status, req.reason = TimeOffStatus.rejected.value, TimeOffReason.balance.value
        req.decided_at = now
    elif any(
        allowance.exceeded(session, row, agent.agent_id, body.start, body.end) for row in limits
    ):
        req.status, req.reason = TimeOffStatus.pending.value, TimeOffReason.allowance.value
    elif not all(row.auto_approve for row in limits):
        req.status, req.reason = TimeOffStatus.pending.value, TimeOffReason.approval.value
    else:
        req.decided_at = now
        _approve(session, req, actor)
    session.add(req)
    session.flush()
    kind = {
        TimeOffStatus.approved.value: (NotificationKind.time_off_approved, "approved"),
        TimeOffStatus.pending.value: (
            NotificationKind.time_off_pending,
            "received and waits for a supervisor",
        ),
        TimeOffStatus.rejected.value: (
            NotificationKind.time_off_rejected,
            "rejected: the balance is short",
        ),
    }[req.status]
    _notify(session, req, *kind)
    return req


def get(session: Session, request_id: str, *, for_update: bool = False) -> TimeOffRequest:
    return get_or_404(session, TimeOffRequest, request_id, "time off", for_update=for_update)


def _locked(session: Session, request_id: str) -> TimeOffRequest:
    """The request with its agent, allowances and balance locked in the one lock order."""
    agent_id = get(session, request_id).agent_id
    agent = get_agent(session, agent_id, for_update=True)
    allowance.lock(session, list(agent.queues or []))
    return get(session, request_id, for_update=True)


def _refuse(req: TimeOffRequest, action: str, allowed: Sequence[str]) -> None:
    if req.status not in allowed:
        raise Problem(409, f"a {req.status} request cannot be {action}", status_now=req.status)


def approve(session: Session, request_id: str, actor: str | None) -> TimeOffRequest:
    """A supervisor's approval: overrides the allowance, never the balance."""
    req = _locked(session, request_id)
    _refuse(req, "approved", [TimeOffStatus.pending.value])
    req.decided_by, req.decided_at = actor, utcnow()
    _approve(session, req, actor)
    session.flush()
    _notify(session, req, NotificationKind.time_off_approved, "approved")
    return req


def deny(session: Session, request_id: str, actor: str | None) -> TimeOffRequest:
    req = _locked(session, request_id)
    _refuse(req, "denied", [TimeOffStatus.pending.value])
    req.status, req.decided_by, req.decided_at = TimeOffStatus.denied.value, actor, utcnow()
    session.flush()
    _notify(session, req, NotificationKind.time_off_denied, "denied")
    return req


def cancel(session: Session, request_id: str, actor: str | None, *, staff: bool) -> TimeOffRequest:
    """Pending: withdrawn. Approved: the balance is credited back and the shifts restored; an
    agent may cancel approved time off only before it starts."""
    req = _locked(session, request_id)
    _refuse(req, "cancelled", OPEN)
    if req.status == TimeOffStatus.approved.value:
        if not staff and req.start_at <= utcnow():
            raise Problem(409, "time off that has begun can only be cancelled by a supervisor")
        balance = _balance(session, req.agent_id, req.type)
        balance.hours = round(balance.hours + req.hours, 2)
        quiet_shift_notes(session)
        schedule.revert(session, req, actor)
    req.status, req.decided_by, req.decided_at = TimeOffStatus.cancelled.value, actor, utcnow()
    session.flush()
    _notify(session, req, NotificationKind.time_off_cancelled, "cancelled")
    return req


def listing(
    session: Session,
    *,
    agent_id: str | None,
    status: TimeOffStatus | None,
    start: datetime | None,
    end: datetime | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[TimeOffRequest], str | None]:
    """Requests overlapping ``[start, end)``, by start; keyset-paginated like shifts."""
    query = select(TimeOffRequest)
    if agent_id is not None:
        query = query.where(TimeOffRequest.agent_id == agent_id)
    if status is not None:
        query = query.where(TimeOffRequest.status == status.value)
    if start is not None:
        query = query.where(TimeOffRequest.end_at > start)
    if end is not None:
        query = query.where(TimeOffRequest.start_at < end)
    if cursor is not None:
        after = decode_cursor(cursor)
        query = query.where(tuple_(TimeOffRequest.start_at, TimeOffRequest.id) > tuple_(*after))
    rows = list(
        session.scalars(query.order_by(TimeOffRequest.start_at, TimeOffRequest.id).limit(limit + 1))
    )
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].start_at, rows[-1].id)


def approved_between(
    session: Session, agent_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Each agent's approved time off overlapping ``[start, end)``: their unavailability."""
    out: dict[str, list[tuple[datetime, datetime]]] = {}
    if not agent_ids:
        return out
    rows = session.execute(
        select(TimeOffRequest.agent_id, TimeOffRequest.start_at, TimeOffRequest.end_at).where(
            TimeOffRequest.agent_id.in_(set(agent_ids)),
            TimeOffRequest.status == TimeOffStatus.approved.value,
            TimeOffRequest.start_at < end,
            TimeOffRequest.end_at > start,
        )
    )
    for agent_id, s, e in rows:
        out.setdefault(agent_id, []).append((s, e))
    return out
