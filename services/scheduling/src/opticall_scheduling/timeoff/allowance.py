"""Queue allowances: how many of a queue's agents may be off at the same moment.

A request is within the allowance of each of its agent's queues that has one when, at every
moment of the request, the agents of that queue already on approved time off, plus this one,
stay within the limit in force then (the first matching rule, else ``max_agents_off``). The
request is cut into segments at every boundary where either the count or the limit can change
(other requests' ends, the rules' times on each local day), and each segment is checked.
A queue without an allowance has no limit.
"""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from opticall_scheduling.agents.service import serves_queue
from opticall_scheduling.models import Agent
from opticall_scheduling.timeoff.models import TimeOffAllowance, TimeOffRequest
from opticall_scheduling.timeoff.schemas import AllowanceOut, AllowancePut, TimeOffStatus


def to_out(row: TimeOffAllowance) -> AllowanceOut:
    return AllowanceOut.model_validate(
        {
            "queue": row.queue,
            "max_agents_off": row.max_agents_off,
            "auto_approve": row.auto_approve,
            "timezone": row.timezone,
            "rules": row.rules or [],
            "updated_at": row.updated_at,
        }
    )


def put(session: Session, queue: str, body: AllowancePut) -> TimeOffAllowance:
    row = session.get(TimeOffAllowance, queue, with_for_update=True)
    values = body.model_dump(mode="json")
    if row is None:
        row = TimeOffAllowance(queue=queue, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    session.flush()
    return row


def lock(session: Session, queues: list[str]) -> list[TimeOffAllowance]:
    """The allowances of ``queues``, row-locked in queue order (one order for every caller,
    so two transactions never wait on each other's locks in a cycle)."""
    if not queues:
        return []
    query = (
        select(TimeOffAllowance)
        .where(TimeOffAllowance.queue.in_(queues))
        .order_by(TimeOffAllowance.queue)
        .with_for_update()
    )
    return list(session.scalars(query))


def _hours_of(rule: dict[str, Any]) -> tuple[time, time] | None:
    start, end = rule.get("start_time"), rule.get("end_time")
    if start is None or end is None:
        return None
    return time.fromisoformat(start), time.fromisoformat(end)


def limit_at(row: TimeOffAllowance, t: datetime) -> int:
    local = t.astimezone(ZoneInfo(row.timezone))
    for rule in row.rules or []:
        if local.weekday() not in rule.get("weekdays", range(7)):
            continue
        hours = _hours_of(rule)
        if hours is not None and not hours[0] <= local.time() < hours[1]:
            continue
        return int(rule["max_agents_off"])
    return row.max_agents_off


def _rule_bounds(row: TimeOffAllowance, start: datetime, end: datetime) -> set[datetime]:
    """Every moment in ``(start, end)`` where the limit may change: local midnights and the
    rules' start and end times on each local day."""
    tz = ZoneInfo(row.timezone)
    times = {time(0)}
    for rule in row.rules or []:
        times |= set(_hours_of(rule) or ())
    out: set[datetime] = set()
    day = start.astimezone(tz).date() - timedelta(days=1)
    while day <= end.astimezone(tz).date():
        for t in times:
            moment = datetime.combine(day, t, tz)
            if start < moment < end:
                out.add(moment)
        day += timedelta(days=1)
    return out


def exceeded(
    session: Session,
    row: TimeOffAllowance,
    agent_id: str,
    start: datetime,
    end: datetime,
) -> bool:
    """Whether one more agent off during ``[start, end)`` breaks ``row``'s limit."""
    others = session.execute(
        select(TimeOffRequest.agent_id, TimeOffRequest.start_at, TimeOffRequest.end_at)
        .join(Agent, Agent.agent_id == TimeOffRequest.agent_id)
        .where(
            TimeOffRequest.status == TimeOffStatus.approved.value,
            TimeOffRequest.agent_id != agent_id,
            TimeOffRequest.start_at < end,
            TimeOffRequest.end_at > start,
            serves_queue(session, row.queue),
        )
    ).all()
    bounds = {start, end} | _rule_bounds(row, start, end)
    bounds |= {t for _, s, e in others for t in (s, e) if start < t < end}
    points = sorted(bounds)
    for a, b in itertools.pairwise(points):
        off = {agent for agent, s, e in others if s < b and a < e}
        if len(off) + 1 > limit_at(row, a):
            return True
    return False
