"""The rules a schedule keeps, once: which agent may work which shift, and when.

The generator's problem (``schedules.problem``) uses ``serves_queue``, ``inside`` and
``subtract`` to decide which agent may take which shift (approved time off is subtracted from
availability there); shift trades re-check a whole schedule change for each agent with
``check_takes``, built from the same predicates plus the ones only a concrete schedule has
(overlap, rest, weekly hours, length, lead time). Pure functions: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

# Times as datetimes (trades) or as minutes from the horizon's start (the generator).
T = TypeVar("T", int, datetime)
Window = tuple[T, T]


def serves_queue(agent_queues: Sequence[str], queue: str | None) -> bool:
    """An agent with no queues listed may work any queue; a shift with no queue, anyone."""
    return queue is None or not agent_queues or queue in agent_queues


def inside(start: T, end: T, windows: Sequence[Window[T]] | None) -> bool:
    """``[start, end)`` lies within one window (None: no restriction)."""
    return windows is None or any(lo <= start and end <= hi for lo, hi in windows)


def subtract(windows: Iterable[Window[T]], busy: Iterable[Window[T]]) -> list[Window[T]]:
    """``windows`` less every ``busy`` interval (half-open, like everything here)."""
    out = list(windows)
    for b0, b1 in busy:
        kept: list[Window[T]] = []
        for w0, w1 in out:
            if not (b0 < w1 and w0 < b1):  # disjoint
                kept.append((w0, w1))
                continue
            if w0 < b0:
                kept.append((w0, b0))
            if b1 < w1:
                kept.append((b1, w1))
        out = kept
    return out


class Rule(StrEnum):
    """The name a 422 gives a broken rule."""

    active = "active"
    queue = "queue"
    availability = "availability"
    overlap = "overlap"
    min_rest = "min_rest"
    weekly_hours = "weekly_hours"
    max_shift_length = "max_shift_length"
    lead_time = "lead_time"


@dataclass(frozen=True)
class Limits:
    min_rest: timedelta
    max_weekly_hours: float
    max_shift: timedelta
    lead_time: timedelta


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    queue: str | None = None


@dataclass(frozen=True)
class Violation:
    rule: Rule
    agent_id: str
    detail: str


def week_start(t: datetime) -> datetime:
    """Monday 00:00 of ``t``'s ISO week, in ``t``'s zone (UTC throughout the service)."""
    day = t.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _hours(span: Span) -> float:
    return (span.end - span.start).total_seconds() / 3600


def check_takes(
    agent_id: str,
    *,
    active: bool,
    queues: Sequence[str],
    taken: Span,
    kept: Sequence[Span],
    off: Sequence[Window[datetime]],
    limits: Limits,
    now: datetime,
) -> list[Violation]:
    """Every rule ``agent_id`` would break by working ``taken`` beside the shifts it keeps
    (``kept``: the agent's other shifts after the change) given its approved time off."""

    def broken(rule: Rule, detail: str) -> Violation:
        return Violation(rule, agent_id, f"{agent_id}: {detail}")

    out: list[Violation] = []
    if taken.start - now < limits.lead_time:
        hours = limits.lead_time.total_seconds() / 3600
        out.append(broken(Rule.lead_time, f"the shift starts in less than {hours:g} h"))
    if taken.end - taken.start > limits.max_shift:
        out.append(broken(Rule.max_shift_length, "the shift is longer than the maximum"))
    if not active:
        out.append(broken(Rule.active, "the agent is inactive"))
    if not serves_queue(queues, taken.queue):
        out.append(broken(Rule.queue, f"the agent does not serve queue {taken.queue!r}"))
    free = subtract([(taken.start, taken.end)], off)
    if free != [(taken.start, taken.end)]:
        out.append(broken(Rule.availability, "the agent has approved time off then"))
    for other in kept:
        if other.start < taken.end and taken.start < other.end:
            out.append(broken(Rule.overlap, "the shift overlaps another shift of the agent"))
        elif max(other.start - taken.end, taken.start - other.end) < limits.min_rest:
            rest = limits.min_rest.total_seconds() / 3600
            out.append(broken(Rule.min_rest, f"less than {rest:g} h of rest between shifts"))
    week = week_start(taken.start)
    worked = _hours(taken) + sum(_hours(s) for s in kept if week_start(s.start) == week)
    if worked > limits.max_weekly_hours:
        out.append(
            broken(
                Rule.weekly_hours,
                f"{worked:g} h in the week of {week.date()}, over {limits.max_weekly_hours:g} h",
            )
        )
    return out
