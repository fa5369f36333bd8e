"""The shift trade workflow: offer, accept (rules re-checked for both agents), approve, deny.

On acceptance (and again on a supervisor's approval) every rule the schedule keeps is checked
for both agents as their schedules would stand after the swap (``workrules.check_takes``):
a violation is a 422 naming the rule, and nothing changes. Both agents' rows are locked first
(in id order, the one order every flow uses), then the shifts, so a concurrent edit cannot
slip between the check and the swap. The swap deletes and re-inserts the shifts under their
ids with the new owners: the no-overlap exclusion constraint is checked row by row, so
updating one owner at a time would refuse a swap of two overlapping shifts that is fine once
both moved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from opticall_common.db import get_or_404
from opticall_common.events import utcnow
from opticall_common.notifications import NotificationKind
from opticall_common.problems import Problem
from opticall_scheduling.agents.service import get_agent
from opticall_scheduling.errors import Forbidden
from opticall_scheduling.models import Agent, Shift
from opticall_scheduling.outbox.notifications import notify, quiet_shift_notes
from opticall_scheduling.outbox.writer import record_owner_change
from opticall_scheduling.shifts.cursor import decode_cursor, encode_cursor
from opticall_scheduling.shifts.service import get_shift
from opticall_scheduling.timeoff.requests import approved_between
from opticall_scheduling.trades.models import ShiftTrade
from opticall_scheduling.trades.schemas import (
    LIVE,
    ShiftBrief,
    TradeCreate,
    TradeOut,
    TradeStatus,
)
from opticall_scheduling.workrules import Limits, Rule, Span, Violation, check_takes

# Shifts this far around a traded one are all its weekly hours and rest can depend on.
NEIGHBOURHOOD = timedelta(days=8)


def _brief(session: Session, shift_id: str | None) -> ShiftBrief | None:
    if shift_id is None:
        return None
    shift = session.get(Shift, shift_id)
    if shift is None:  # deleted since
        return ShiftBrief(id=shift_id, agent_id=None, start=None, end=None, queue=None)
    return ShiftBrief(
        id=shift.id,
        agent_id=shift.agent_id,
        start=shift.start_at,
        end=shift.end_at,
        queue=shift.queue,
    )


def to_out(session: Session, trade: ShiftTrade) -> TradeOut:
    shift = _brief(session, trade.shift_id)
    assert shift is not None
    return TradeOut(
        id=trade.id,
        status=TradeStatus(trade.status),
        from_agent_id=trade.from_agent_id,
        to_agent_id=trade.to_agent_id,
        shift=shift,
        want_shift=_brief(session, trade.want_shift_id),
        note=trade.note,
        created_by=trade.created_by,
        accepted_by=trade.accepted_by,
        decided_by=trade.decided_by,
        created_at=trade.created_at,
        updated_at=trade.updated_at,
    )


def _future(shift: Shift, now: datetime, what: str) -> None:
    if shift.start_at <= now:
        raise Problem(422, f"{what} has already started", rule=Rule.lead_time.value)


def create(
    session: Session, body: TradeCreate, actor: str | None, acting_agent: str | None
) -> ShiftTrade:
    """``acting_agent``: the caller's agent, or None for staff (who may offer any shift)."""
    shift = get_shift(session, body.shift_id)
    if acting_agent is not None and shift.agent_id != acting_agent:
        raise Forbidden("agents may only offer their own shifts")
    now = utcnow()
    _future(shift, now, "the shift")
    if body.to_agent_id == shift.agent_id:
        raise Problem(422, "a shift cannot be offered to its own agent")
    if body.want_shift_id is not None:
        if body.to_agent_id is None:
            raise Problem(422, "want_shift_id needs to_agent_id: whose shift is wanted?")
        want = get_shift(session, body.want_shift_id)
        if want.agent_id != body.to_agent_id:
            raise Problem(422, f"shift {want.id!r} is not {body.to_agent_id!r}'s")
        _future(want, now, "the wanted shift")
    if body.to_agent_id is not None:
        get_agent(session, body.to_agent_id)  # 404 for an unknown partner
    live = session.scalars(
        select(ShiftTrade.id).where(
            ShiftTrade.shift_id == shift.id, ShiftTrade.status.in_([s.value for s in LIVE])
        )
    ).first()
    if live is not None:
        raise Problem(409, f"shift {shift.id!r} is already offered in trade {live}", trade_id=live)
    trade = ShiftTrade(
        id=uuid.uuid4().hex,
        shift_id=shift.id,
        from_agent_id=shift.agent_id,
        to_agent_id=body.to_agent_id,
        want_shift_id=body.want_shift_id,
        status=(TradeStatus.offered if body.to_agent_id else TradeStatus.open).value,
        note=body.note,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(trade)
    session.flush()
    if trade.to_agent_id is not None:
        notify(
            session,
            trade.to_agent_id,
            NotificationKind.trade_offered,
            f"{trade.from_agent_id} offers you their shift of {shift.start_at:%Y-%m-%d %H:%M} UTC.",
            actor,
            trade_id=trade.id,
            shift_ids=[shift.id],
        )
    return trade


def get(session: Session, trade_id: str, *, for_update: bool = False) -> ShiftTrade:
    return get_or_404(session, ShiftTrade, trade_id, "shift trade", for_update=for_update)


@dataclass
class _Parties:
    shift: Shift
    want: Shift | None
    giver: Agent
    taker: Agent


def _lock(session: Session, trade: ShiftTrade, taker_id: str) -> _Parties:
    agents = {
        a: get_agent(session, a, for_update=True) for a in sorted({trade.from_agent_id, taker_id})
    }
    shift = get_shift(session, trade.shift_id, for_update=True)
    if shift.agent_id != trade.from_agent_id:
        raise Problem(409, "the offered shift changed hands since the offer")
    want = None
    if trade.want_shift_id is not None:
        want = get_shift(session, trade.want_shift_id, for_update=True)
        if want.agent_id != taker_id:
            raise Problem(409, "the wanted shift changed hands since the offer")
    return _Parties(shift, want, agents[trade.from_agent_id], agents[taker_id])


def _span(shift: Shift) -> Span:
    return Span(shift.start_at, shift.end_at, shift.queue)


def _violations(session: Session, p: _Parties, limits: Limits, now: datetime) -> list[Violation]:
    moving = {p.shift.id} | ({p.want.id} if p.want else set())
    out: list[Violation] = []
    for agent, taken in ((p.taker, p.shift), (p.giver, p.want)):
        if taken is None:
            continue
        lo, hi = taken.start_at - NEIGHBOURHOOD, taken.end_at + NEIGHBOURHOOD
        kept = session.scalars(
            select(Shift).where(
                Shift.agent_id == agent.agent_id,
                Shift.start_at < hi,
                Shift.end_at > lo,
                Shift.id.not_in(moving),
            )
        )
        off = approved_between(session, [agent.agent_id], taken.start_at, taken.end_at)
        out += check_takes(
            agent.agent_id,
            active=agent.active,
            queues=agent.queues or [],
            taken=_span(taken),
            kept=[_span(s) for s in kept],
            off=off.get(agent.agent_id, []),
            limits=limits,
            now=now,
        )
    return out


def _check(session: Session, p: _Parties, limits: Limits) -> None:
    found = _violations(session, p, limits, utcnow())
    if found:
        first = found[0]
        raise Problem(
            422,
            f"the trade breaks rule {first.rule.value}: {first.detail}",
            rule=first.rule.value,
            violations=[
                {"rule": v.rule.value, "agent_id": v.agent_id, "detail": v.detail} for v in found
            ],
        )


def _swap(session: Session, p: _Parties, actor: str | None) -> None:
    """Both shifts to their new owners, each published as ``record_owner_change`` says."""
    moves = [(p.shift, p.taker.agent_id)] + ([(p.want, p.giver.agent_id)] if p.want else [])
    rows = []
    for shift, owner in moves:
        rows.append(({c.key: getattr(shift, c.key) for c in Shift.__table__.columns}, owner))
        session.delete(shift)
    session.flush()
    quiet_shift_notes(session)  # the trade's own notifications name the shifts
    now = utcnow()
    for values, owner in rows:
        previous = values["agent_id"]
        moved = Shift(
            **{
                **values,
                "agent_id": owner,
                "updated_by": actor,
                "updated_at": now,
                "sequence": values["sequence"] + 1,
            }
        )
        session.add(moved)
        session.flush()
        record_owner_change(session, moved, previous, actor)


def _tell_both(
    session: Session, trade: ShiftTrade, kind: NotificationKind, verb: str, actor: str | None
) -> None:
    ids = [trade.shift_id] + ([trade.want_shift_id] if trade.want_shift_id else [])
    for agent in dict.fromkeys(a for a in (trade.from_agent_id, trade.to_agent_id) if a):
        notify(
            session,
            agent,
            kind,
            f"The shift trade {trade.id} was {verb}.",
            actor,
            trade_id=trade.id,
            shift_ids=ids,
        )


def accept(
    session: Session,
    trade_id: str,
    taker_id: str,
    actor: str | None,
    *,
    limits: Limits,
    auto_approve: bool,
) -> ShiftTrade:
    trade = get(session, trade_id)
    if trade.status not in (TradeStatus.open.value, TradeStatus.offered.value):
        raise Problem(409, f"a {trade.status} trade cannot be accepted")
    if taker_id == trade.from_agent_id:
        raise Problem(422, "an agent cannot accept their own offer")
    if trade.to_agent_id is not None and trade.to_agent_id != taker_id:
        raise Forbidden("this trade is offered to another agent")
    parties = _lock(session, trade, taker_id)
    trade = get(session, trade_id, for_update=True)
    _check(session, parties, limits)
    trade.to_agent_id, trade.accepted_by = taker_id, actor
    if auto_approve:
        _swap(session, parties, actor)
        trade.status, trade.decided_by = TradeStatus.approved.value, None
        session.flush()
        _tell_both(session, trade, NotificationKind.trade_approved, "accepted and approved", actor)
    else:
        trade.status = TradeStatus.accepted.value
        session.flush()
        _tell_both(
            session,
            trade,
            NotificationKind.trade_accepted,
            "accepted; a supervisor will decide",
            actor,
        )
    return trade


def approve(session: Session, trade_id: str, actor: str | None, *, limits: Limits) -> ShiftTrade:
    trade = get(session, trade_id)
    if trade.status != TradeStatus.accepted.value or trade.to_agent_id is None:
        raise Problem(409, f"a {trade.status} trade cannot be approved (only an accepted one)")
    parties = _lock(session, trade, trade.to_agent_id)
    trade = get(session, trade_id, for_update=True)
    _check(session, parties, limits)
    _swap(session, parties, actor)
    trade.status, trade.decided_by = TradeStatus.approved.value, actor
    session.flush()
    _tell_both(session, trade, NotificationKind.trade_approved, "approved", actor)
    return trade


def close(session: Session, trade_id: str, actor: str | None, status: TradeStatus) -> ShiftTrade:
    """Deny (staff) or cancel (the offerer) a live trade."""
    trade = get(session, trade_id, for_update=True)
    if trade.status not in [s.value for s in LIVE]:
        raise Problem(409, f"a {trade.status} trade cannot be {status.value}")
    trade.status, trade.decided_by = status.value, actor
    session.flush()
    kind = (
        NotificationKind.trade_denied
        if status is TradeStatus.denied
        else NotificationKind.trade_cancelled
    )
    _tell_both(session, trade, kind, status.value, actor)
    return trade


def listing(
    session: Session,
    *,
    agent_id: str | None,
    status: TradeStatus | None,
    with_open: bool,
    cursor: str | None,
    limit: int,
) -> tuple[list[ShiftTrade], str | None]:
    """Trades of ``agent_id`` (either side; ``with_open``: and every open offer), oldest
    first, keyset-paginated on (created_at, id)."""
    query = select(ShiftTrade)
    if agent_id is not None:
        mine = or_(ShiftTrade.from_agent_id == agent_id, ShiftTrade.to_agent_id == agent_id)
        query = query.where(
            or_(mine, ShiftTrade.status == TradeStatus.open.value) if with_open else mine
        )
    if status is not None:
        query = query.where(ShiftTrade.status == status.value)
    if cursor is not None:
        after = decode_cursor(cursor)
        query = query.where(tuple_(ShiftTrade.created_at, ShiftTrade.id) > tuple_(*after))
    query = query.order_by(ShiftTrade.created_at, ShiftTrade.id).limit(limit + 1)
    rows = list(session.scalars(query))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].created_at, rows[-1].id)
