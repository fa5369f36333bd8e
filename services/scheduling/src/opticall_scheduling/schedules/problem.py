"""A generation request turned into integers: the time grid, candidate shifts, break slots.

Everything is in minutes from the first requirement interval, so the solver model holds only
integers. A *kind* is a (template, start, queue) shift that fits the horizon and the operating
hours; a *candidate* is an agent who could work a kind (it fits their availability and
queues); a *break slot* is one place a break of a kind may start.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from opticall_common.problems import Problem
from opticall_scheduling.schedules.schemas import GenerateRequest, Window
from opticall_scheduling.workrules import inside, serves_queue, subtract

WEEK = 7 * 1440
# Weights become integers for the solver; a tenth is fine enough to order priorities.
WEIGHT_SCALE = 10


@dataclass(slots=True)
class Kind:
    """A shift anyone could work: template, start, queue; the solver counts how many work it."""

    template: int
    queue: int
    start: int
    end: int
    day: int
    paid_minutes: int


@dataclass(slots=True)
class Candidate:
    """One agent working one kind of shift."""

    agent: int
    kind: int


@dataclass(slots=True)
class BreakSlot:
    """Break ``index`` of the shifts of ``kind`` starting at ``start``; the solver picks how
    many of those shifts take it there. Which agent gets which slot does not matter for
    coverage, so slots are per kind rather than per agent (far fewer variables and a much
    tighter LP bound), and are dealt out to the agents afterwards."""

    kind: int
    index: int
    start: int
    length: int


@dataclass
class ScheduleProblem:
    t0: datetime
    interval: int
    count: int
    queues: list[str | None]
    required: list[list[int]]  # [queue][interval] agent-minutes
    weights: list[list[int]]
    kinds: list[Kind]
    candidates: list[Candidate]
    slots: list[BreakSlot]
    rest_minutes: int
    hour_limits: dict[tuple[int, int], tuple[int, int]]  # (agent, week) -> (min, max) minutes

    @property
    def horizon(self) -> int:
        return self.count * self.interval

    def at(self, minute: int) -> datetime:
        return self.t0 + timedelta(minutes=minute)


def overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def spread(start: int, end: int, interval: int, count: int) -> list[tuple[int, int]]:
    """(interval index, minutes of [start, end) inside it) for every interval it touches."""
    first, last = start // interval, min(count - 1, (end - 1) // interval)
    return [
        (t, overlap(start, end, t * interval, (t + 1) * interval)) for t in range(first, last + 1)
    ]


def _minutes(req: GenerateRequest, t0: datetime, windows: list[Window]) -> list[tuple[int, int]]:
    out = []
    for w in windows:
        lo = math.ceil((w.start - t0).total_seconds() / 60)
        hi = math.floor((w.end - t0).total_seconds() / 60)
        if hi > lo:
            out.append((lo, hi))
    return out


def _grid(
    req: GenerateRequest,
) -> tuple[datetime, int, list[str | None], list[list[int]], list[list[int]]]:
    t0 = min(r.start for r in req.requirement)
    step = req.interval_minutes
    queues = sorted({r.queue for r in req.requirement}, key=lambda q: (q is not None, q or ""))
    q_index = {q: i for i, q in enumerate(queues)}
    slots: dict[tuple[int, int], tuple[int, int]] = {}
    for i, r in enumerate(req.requirement):
        offset = (r.start - t0).total_seconds() / 60
        if offset % step:
            raise Problem(
                422,
                f"requirement.{i}.start is not on the {step}-minute grid of the first interval",
            )
        key = (q_index[r.queue], int(offset // step))
        if key in slots:
            raise Problem(422, f"requirement.{i} repeats an interval and queue")
        slots[key] = (round(r.required * step), max(1, round(r.weight * WEIGHT_SCALE)))
    count = 1 + max(t for _, t in slots)
    required = [[0] * count for _ in queues]
    weights = [[WEIGHT_SCALE] * count for _ in queues]
    for (q, t), (need, weight) in slots.items():
        required[q][t], weights[q][t] = need, weight
    return t0, count, queues, required, weights


Shape = tuple[int, int, int, int, list[tuple[int, range]]]


def _shapes(
    req: GenerateRequest, horizon: int, open_hours: list[tuple[int, int]] | None, bg: int
) -> list[Shape]:
    """(template, start, end, paid minutes, [(break length, break starts)]) of every shift that
    fits the horizon and the operating hours, before any agent's availability."""
    out: list[Shape] = []
    for ti, tpl in enumerate(req.shift_templates):
        unpaid = sum(b.length_minutes for b in tpl.breaks if not b.is_paid)
        for start in range(0, horizon - tpl.length_minutes + 1, tpl.start_granularity_minutes):
            end = start + tpl.length_minutes
            if not inside(start, end, open_hours):
                continue
            positions = []
            for b in tpl.breaks:
                first = -(-(start + b.earliest_start_minutes) // bg) * bg
                positions.append(
                    (b.length_minutes, range(first, start + b.latest_start_minutes + 1, bg))
                )
            if all(len(ps) for _, ps in positions):  # else a break has no grid point to start on
                out.append((ti, start, end, end - start - unpaid, positions))
    return out


def _availability(
    req: GenerateRequest,
    t0: datetime,
    horizon: int,
    windows: list[Window] | None,
    off: Sequence[tuple[datetime, datetime]],
) -> list[tuple[int, int]] | None:
    """An agent's availability in minutes, less their approved time off."""
    avail = None if windows is None else _minutes(req, t0, windows)
    if not off:
        return avail
    busy = [
        (math.floor((s - t0).total_seconds() / 60), math.ceil((e - t0).total_seconds() / 60))
        for s, e in off
    ]
    return subtract(avail if avail is not None else [(0, horizon)], busy)


def build_problem(
    req: GenerateRequest, time_off: Mapping[str, Sequence[tuple[datetime, datetime]]] | None = None
) -> ScheduleProblem:
    """The solver's problem for ``req``; ``time_off`` (agent id -> approved time off) is
    unavailability, whatever the request says about the agent's availability."""
    time_off = time_off or {}
    t0, count, queues, required, weights = _grid(req)
    step = req.interval_minutes
    horizon = count * step
    bg = req.break_granularity_minutes or step
    open_hours = None if req.operating_hours is None else _minutes(req, t0, req.operating_hours)
    kinds: list[Kind] = []
    slots: list[BreakSlot] = []
    for ti, start, end, paid, positions in _shapes(req, horizon, open_hours, bg):
        day = (t0 + timedelta(minutes=start)).date().toordinal()
        for q in range(len(queues)):
            kinds.append(Kind(ti, q, start, end, day, paid))
            slots.extend(
                BreakSlot(len(kinds) - 1, bi, p, length)
                for bi, (length, ps) in enumerate(positions)
                for p in ps
            )
    candidates: list[Candidate] = []
    for a, agent in enumerate(req.agents):
        avail = _availability(
            req, t0, horizon, agent.availability, time_off.get(agent.agent_id, ())
        )
        for k, kind in enumerate(kinds):
            if not serves_queue(agent.queues, queues[kind.queue]):
                continue
            if inside(kind.start, kind.end, avail):
                candidates.append(Candidate(a, k))
    limits: dict[tuple[int, int], tuple[int, int]] = {}
    for a, agent in enumerate(req.agents):
        for week in range(math.ceil(horizon / WEEK)):
            share = min(WEEK, horizon - week * WEEK) / WEEK  # a partial week owes its share
            limits[(a, week)] = (
                math.floor(agent.min_weekly_hours * 60 * share),
                math.floor(agent.max_weekly_hours * 60),
            )
    _check_hour_minimums(req, kinds, candidates, limits)
    return ScheduleProblem(
        t0=t0,
        interval=step,
        count=count,
        queues=queues,
        required=required,
        weights=weights,
        kinds=kinds,
        candidates=candidates,
        slots=slots,
        rest_minutes=round(req.min_rest_hours * 60),
        hour_limits=limits,
    )


def _check_hour_minimums(
    req: GenerateRequest,
    kinds: list[Kind],
    candidates: list[Candidate],
    limits: dict[tuple[int, int], tuple[int, int]],
) -> None:
    """A clear 422 for an agent who cannot reach their minimum hours at all."""
    best: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for c in candidates:
        kind = kinds[c.kind]
        per_day = best[(c.agent, kind.start // WEEK)]
        per_day[kind.day] = max(per_day.get(kind.day, 0), kind.paid_minutes)
    for (a, week), (low, _) in limits.items():
        if low > 0 and sum(best[(a, week)].values()) < low:
            raise Problem(
                422,
                f"agent {req.agents[a].agent_id!r} cannot reach min_weekly_hours in week {week + 1}"
                " within their availability and the operating hours",
            )
