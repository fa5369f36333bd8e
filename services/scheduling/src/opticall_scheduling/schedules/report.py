"""From a solution back to the wire: draft shifts with their breaks, and the coverage report.

Coverage is recomputed from the chosen shifts rather than read from solver variables, so the
report describes exactly the shifts that will be published.
"""

from __future__ import annotations

from collections import defaultdict

from opticall_scheduling.schedules.problem import WEIGHT_SCALE, ScheduleProblem, spread
from opticall_scheduling.schedules.schemas import (
    Activity,
    CoverageInterval,
    DraftShift,
    GenerateRequest,
    SolverReport,
    Uncoverable,
)
from opticall_scheduling.schedules.solver import Solution


def draft_shifts(req: GenerateRequest, inst: ScheduleProblem, sol: Solution) -> list[DraftShift]:
    """The chosen shifts, each with its breaks: a kind's break slots are dealt out to the
    agents working that kind (any deal gives the same coverage)."""
    dealt: dict[tuple[int, int], list[int]] = defaultdict(list)  # (kind, break index) -> starts
    for s, count in sorted(sol.breaks.items(), key=lambda p: inst.slots[p[0]].start):
        slot = inst.slots[s]
        dealt[(slot.kind, slot.index)].extend([slot.start] * count)
    out = []
    for i in sol.chosen:
        c = inst.candidates[i]
        kind = inst.kinds[c.kind]
        tpl = req.shift_templates[kind.template]
        activities = []
        for bi, rule in enumerate(tpl.breaks):
            start = dealt[(c.kind, bi)].pop()
            activities.append(
                Activity(
                    kind=rule.kind.value,
                    start=inst.at(start),
                    end=inst.at(start + rule.length_minutes),
                )
            )
        out.append(
            DraftShift(
                agent_id=req.agents[c.agent].agent_id,
                start=inst.at(kind.start),
                end=inst.at(kind.end),
                queue=inst.queues[kind.queue],
                template=tpl.name,
                activities=activities,
            )
        )
    out.sort(key=lambda d: (d.start, d.agent_id))
    return out


def coverage(
    inst: ScheduleProblem, sol: Solution
) -> tuple[list[CoverageInterval], float, float, float]:
    """Per (queue, interval): required vs scheduled agents; totals of under-coverage,
    weighted under-coverage and over-coverage, in agent-minutes."""
    minutes = [[0] * inst.count for _ in inst.queues]
    for i in sol.chosen:
        kind = inst.kinds[inst.candidates[i].kind]
        for t, m in spread(kind.start, kind.end, inst.interval, inst.count):
            minutes[kind.queue][t] += m
    for s, count in sol.breaks.items():
        slot = inst.slots[s]
        q = inst.kinds[slot.kind].queue
        for t, m in spread(slot.start, slot.start + slot.length, inst.interval, inst.count):
            minutes[q][t] -= m * count
    rows, under, weighted, over = [], 0.0, 0.0, 0.0
    for q, queue in enumerate(inst.queues):
        for t in range(inst.count):
            need, have = inst.required[q][t], minutes[q][t]
            under += max(0, need - have)
            weighted += max(0, need - have) * inst.weights[q][t] / WEIGHT_SCALE
            over += max(0, have - need)
            rows.append(
                CoverageInterval(
                    start=inst.at(t * inst.interval),
                    queue=queue,
                    required=need / inst.interval,
                    scheduled=have / inst.interval,
                    gap=(have - need) / inst.interval,
                )
            )
    return rows, under, weighted, over


def uncoverable(inst: ScheduleProblem) -> list[Uncoverable]:
    """Intervals needing more agents than could possibly be there: every agent's best
    candidate shift on that interval, whatever the rest of the schedule (breaks ignored)."""
    best: dict[tuple[int, int, int], int] = {}
    for c in inst.candidates:
        kind = inst.kinds[c.kind]
        for t, m in spread(kind.start, kind.end, inst.interval, inst.count):
            key = (kind.queue, t, c.agent)
            best[key] = max(best.get(key, 0), m)
    possible = [[0] * inst.count for _ in inst.queues]
    for (q, t, _), m in best.items():
        possible[q][t] += m
    return [
        Uncoverable(
            start=inst.at(t * inst.interval),
            queue=queue,
            required=inst.required[q][t] / inst.interval,
            max_possible=possible[q][t] / inst.interval,
        )
        for q, queue in enumerate(inst.queues)
        for t in range(inst.count)
        if inst.required[q][t] > possible[q][t]
    ]


def solver_report(sol: Solution, weighted_under: float, over: float) -> SolverReport:
    # The solver's own objective may carry slack in the under-coverage variables of a
    # non-optimal solution; the recomputed value is the schedule's true one.
    objective = weighted_under
    bound = min(objective, sol.best_bound / WEIGHT_SCALE)
    return SolverReport(
        status=sol.status,
        objective=objective,
        best_bound=bound,
        gap=(objective - bound) / max(1.0, abs(objective)),
        over_coverage_status=sol.over_status,
        over_objective=over,
        over_best_bound=sol.over_best_bound if sol.over_status != "NOT_RUN" else 0.0,
        wall_seconds=sol.wall_seconds,
        variables=sol.variables,
    )
