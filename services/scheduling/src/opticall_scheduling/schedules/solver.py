"""CP-SAT: pick shifts and break positions, under-coverage first, then over-coverage.

A week for a hundred agents as one model (an agent x shift boolean each, ~25,000) leaves
CP-SAT's two workers without a decent schedule for tens of seconds: the agents are
interchangeable and the LP hardly guides the search. So the work is split where it is exact:

1. **Coverage** (small, solved well): how many shifts of each kind (template x start x queue)
   and how many breaks at each position, with the per-agent rules relaxed to what holds in
   aggregate (per kind: its possible holders; per day: the agents who could work it; per week:
   the agents' total hours). Lexicographic in two solves: weighted under-coverage, then, holding
   it, over-coverage. Its bound is a valid lower bound for the whole problem, reported as such.
2. **Assignment**: agents to those shifts, with every per-agent rule (availability, one shift
   a day, rest, weekly minimum and maximum hours), filling as many shift-minutes as possible.
3. **Repair**, only when some shift found no agent: the full model, started from that
   assignment (as a hint), with the time left.

Scheduled agent-minutes of (queue, interval) = shift minutes inside it - break minutes inside
it; ``under``/``over`` are its shortfall and excess against the requirement.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from opticall_scheduling.schedules.problem import WEEK, ScheduleProblem, spread

WORKERS = 2  # the machine's cores; more workers only fight over them
OK = (cp_model.OPTIMAL, cp_model.FEASIBLE)


@dataclass
class Solution:
    status: str
    objective: float
    best_bound: float
    over_status: str
    over_objective: float
    over_best_bound: float
    wall_seconds: float
    variables: int
    chosen: list[int]  # candidate indices
    breaks: dict[int, int]  # break slot index -> how many shifts take it


def _solver(seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.num_workers = WORKERS
    # Probing in presolve costs tens of seconds on week-long models for little gain.
    solver.parameters.cp_model_probing_level = 0
    return solver


@dataclass
class Coverage:
    model: cp_model.CpModel
    n: list[cp_model.IntVar]  # shifts per kind
    b: list[cp_model.IntVar]  # breaks per slot
    under: cp_model.LinearExpr
    over: cp_model.LinearExpr


def _holders(inst: ScheduleProblem) -> dict[int, list[int]]:
    holders: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(inst.candidates):
        holders[c.kind].append(i)
    return holders


def _coverage_model(inst: ScheduleProblem, holders: dict[int, list[int]]) -> Coverage:
    model = cp_model.CpModel()
    n = [model.new_int_var(0, len(holders.get(k, [])), "") for k in range(len(inst.kinds))]
    b = [model.new_int_var(0, len(holders.get(s.kind, [])), "") for s in inst.slots]
    # Every shift takes each of its breaks exactly once, at one of the allowed positions.
    per_break: dict[tuple[int, int], list[int]] = defaultdict(list)
    for s, slot in enumerate(inst.slots):
        per_break[(slot.kind, slot.index)].append(s)
    for (k, _), ss in per_break.items():
        model.add(cp_model.LinearExpr.sum([b[s] for s in ss]) == n[k])

    terms: dict[tuple[int, int], tuple[list[cp_model.IntVar], list[int]]] = defaultdict(
        lambda: ([], [])
    )
    most: dict[tuple[int, int], int] = defaultdict(int)  # agent-minutes if every holder works
    for k, kind in enumerate(inst.kinds):
        for t, minutes in spread(kind.start, kind.end, inst.interval, inst.count):
            terms[(kind.queue, t)][0].append(n[k])
            terms[(kind.queue, t)][1].append(minutes)
            most[(kind.queue, t)] += minutes * len(holders.get(k, []))
    for s, slot in enumerate(inst.slots):
        queue = inst.kinds[slot.kind].queue
        for t, minutes in spread(slot.start, slot.start + slot.length, inst.interval, inst.count):
            terms[(queue, t)][0].append(b[s])
            terms[(queue, t)][1].append(-minutes)
    under_terms: list[tuple[cp_model.IntVar, int]] = []
    over_terms: list[cp_model.IntVar] = []
    for q in range(len(inst.queues)):
        for t in range(inst.count):
            need = inst.required[q][t]
            vars_, coefs = terms.get((q, t), ([], []))
            scheduled = cp_model.LinearExpr.weighted_sum(vars_, coefs)
            if need > 0:
                under = model.new_int_var(0, need, "")
                model.add(under >= need - scheduled)
                under_terms.append((under, inst.weights[q][t]))
            if vars_:
                over = model.new_int_var(0, max(0, most[(q, t)] - need), "")
                model.add(over >= scheduled - need)
                over_terms.append(over)
    return Coverage(
        model,
        n,
        b,
        cp_model.LinearExpr.weighted_sum([u for u, _ in under_terms], [w for _, w in under_terms]),
        cp_model.LinearExpr.sum(over_terms),
    )


def _aggregate_rules(inst: ScheduleProblem, cov: Coverage) -> None:
    """What the per-agent rules imply for counts alone (so this stays a relaxation)."""
    agents_by_day: dict[int, set[int]] = defaultdict(set)
    kinds_by_day: dict[int, list[int]] = defaultdict(list)
    for c in inst.candidates:
        agents_by_day[inst.kinds[c.kind].day].add(c.agent)
    for k, kind in enumerate(inst.kinds):
        kinds_by_day[kind.day].append(k)
    for day, ks in kinds_by_day.items():
        cov.model.add(cp_model.LinearExpr.sum([cov.n[k] for k in ks]) <= len(agents_by_day[day]))
    hours: dict[int, int] = defaultdict(int)
    for (_, week), (_, high) in inst.hour_limits.items():
        hours[week] += high
    for week, high in hours.items():
        ks = [k for k, kind in enumerate(inst.kinds) if kind.start // WEEK == week]
        paid = [inst.kinds[k].paid_minutes for k in ks]
        cov.model.add(cp_model.LinearExpr.weighted_sum([cov.n[k] for k in ks], paid) <= high)


def _agent_rules(
    inst: ScheduleProblem, model: cp_model.CpModel, x: dict[int, cp_model.IntVar]
) -> None:
    """One shift per agent and day, rest between shifts, weekly hour limits."""
    per_agent: dict[int, list[int]] = defaultdict(list)
    per_day: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i in x:
        c = inst.candidates[i]
        per_agent[c.agent].append(i)
        per_day[(c.agent, inst.kinds[c.kind].day)].append(i)
    for members in per_day.values():
        if len(members) > 1:
            model.add_at_most_one(x[i] for i in members)
    rest = inst.rest_minutes
    for members in per_agent.values():
        spans = [(inst.kinds[inst.candidates[i].kind], i) for i in members]
        for point in sorted({kind.start for kind, _ in spans}):
            clash = [(kind.day, i) for kind, i in spans if kind.start <= point < kind.end + rest]
            # Clashes within one day are already excluded by the per-day constraint.
            if len({day for day, _ in clash}) > 1:
                model.add_at_most_one(x[i] for _, i in clash)
    paid: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for i in x:
        kind = inst.kinds[inst.candidates[i].kind]
        paid[(inst.candidates[i].agent, kind.start // WEEK)].append((i, kind.paid_minutes))
    for key, (low, high) in inst.hour_limits.items():
        terms = paid.get(key, [])
        total = cp_model.LinearExpr.weighted_sum([x[i] for i, _ in terms], [m for _, m in terms])
        model.add(total <= high)
        if low > 0:
            model.add(total >= low)


def _assign(inst: ScheduleProblem, counts: list[int], seconds: float) -> list[int] | None:
    """Agents onto ``counts[k]`` shifts of each kind, as many shift-minutes as possible."""
    model = cp_model.CpModel()
    x = {i: model.new_bool_var("") for i, c in enumerate(inst.candidates) if counts[c.kind] > 0}
    by_kind: dict[int, list[int]] = defaultdict(list)
    for i in x:
        by_kind[inst.candidates[i].kind].append(i)
    for k, members in by_kind.items():
        model.add(cp_model.LinearExpr.sum([x[i] for i in members]) <= counts[k])
    _agent_rules(inst, model, x)
    start = set(_greedy(inst, counts, set(x)))
    for i, v in x.items():
        model.add_hint(v, i in start)
    minutes = [
        inst.kinds[inst.candidates[i].kind].end - inst.kinds[inst.candidates[i].kind].start
        for i in x
    ]
    model.maximize(cp_model.LinearExpr.weighted_sum(list(x.values()), minutes))
    solver = _solver(seconds)
    status = solver.solve(model)
    if status not in OK:
        return None
    return [i for i, v in x.items() if solver.value(v)]


def _greedy(inst: ScheduleProblem, counts: list[int], allowed: set[int]) -> list[int]:
    """A quick assignment to start the search from: day by day, longest shifts first, each to
    the agent with the most weekly hours left who may take it (ignores hour minimums)."""
    holders: dict[int, list[int]] = defaultdict(list)
    for i in allowed:
        holders[inst.candidates[i].kind].append(i)
    left = {key: high for key, (_, high) in inst.hour_limits.items()}
    last_end: dict[int, int] = {}
    busy: set[tuple[int, int]] = set()
    chosen = []
    order = sorted(
        (k for k, n in enumerate(counts) if n),
        key=lambda k: (
            inst.kinds[k].start // 1440,
            -inst.kinds[k].paid_minutes,
            inst.kinds[k].start,
        ),
    )
    for k in order:
        kind = inst.kinds[k]
        week = kind.start // WEEK
        for _ in range(counts[k]):
            best = None
            for i in holders[k]:
                a = inst.candidates[i].agent
                if (a, kind.day) in busy or left[(a, week)] < kind.paid_minutes:
                    continue
                if last_end.get(a, -(10**9)) + inst.rest_minutes > kind.start:
                    continue
                if best is None or left[(a, week)] > left[(inst.candidates[best].agent, week)]:
                    best = i
            if best is None:
                break
            a = inst.candidates[best].agent
            busy.add((a, kind.day))
            left[(a, week)] -= kind.paid_minutes
            last_end[a] = max(last_end.get(a, 0), kind.end)
            chosen.append(best)
    return chosen


def _deal_breaks(
    inst: ScheduleProblem, breaks: dict[int, int], taken: dict[int, int]
) -> dict[int, int]:
    """Trim each kind's breaks to the shifts that found an agent."""
    out: dict[int, int] = {}
    left: dict[tuple[int, int], int] = {}
    for s in sorted(breaks, key=lambda s: inst.slots[s].start):
        slot = inst.slots[s]
        key = (slot.kind, slot.index)
        left.setdefault(key, taken.get(slot.kind, 0))
        use = min(breaks[s], left[key])
        if use:
            out[s] = use
            left[key] -= use
    return out


def _repair(
    inst: ScheduleProblem,
    holders: dict[int, list[int]],
    chosen: list[int],
    breaks: dict[int, int],
    seconds: float,
) -> tuple[str, list[int], dict[int, int], float] | str:
    """The full model (counts tied to agents), from the assignment found, for ``seconds``;
    the solver's status name when it finds nothing."""
    cov = _coverage_model(inst, holders)
    x = {i: cov.model.new_bool_var("") for i in range(len(inst.candidates))}
    for k in range(len(inst.kinds)):
        cov.model.add(cp_model.LinearExpr.sum([x[i] for i in holders.get(k, [])]) == cov.n[k])
    _agent_rules(inst, cov.model, x)
    picked = set(chosen)
    counts: dict[int, int] = defaultdict(int)
    for i in picked:
        counts[inst.candidates[i].kind] += 1
    for i, v in x.items():
        cov.model.add_hint(v, i in picked)
    for k, v in enumerate(cov.n):
        cov.model.add_hint(v, counts.get(k, 0))
    for s, v in enumerate(cov.b):
        cov.model.add_hint(v, breaks.get(s, 0))
    cov.model.minimize(cov.under)
    solver = _solver(seconds)
    status = solver.solve(cov.model)
    if status not in OK:
        return str(solver.status_name(status))
    return (
        str(solver.status_name(status)),
        [i for i, v in x.items() if solver.value(v)],
        {s: solver.value(v) for s, v in enumerate(cov.b) if solver.value(v)},
        solver.best_objective_bound,
    )


def solve(inst: ScheduleProblem, time_limit: float) -> Solution | str:
    """The best schedule found within about ``time_limit`` seconds, or the solver's status
    name when it found none (``INFEASIBLE`` when the hour limits cannot all hold)."""
    started = time.monotonic()

    def left(share: float) -> float:
        return max(0.1, (time_limit - (time.monotonic() - started)) * share)

    holders = _holders(inst)
    cov = _coverage_model(inst, holders)
    _aggregate_rules(inst, cov)
    cov.model.minimize(cov.under)
    first = _solver(left(0.35))
    status = first.solve(cov.model)
    if status not in OK:
        return str(first.status_name(status))
    under_value = round(first.objective_value)
    bound = first.best_objective_bound
    n_values = [first.value(v) for v in cov.n]
    b_values = [first.value(v) for v in cov.b]

    # Hold the under-coverage, spend time on over-coverage.
    cov.model.add(cov.under <= under_value)
    cov.model.minimize(cov.over)
    for v, val in zip(cov.n + cov.b, n_values + b_values, strict=True):
        cov.model.add_hint(v, val)
    second = _solver(left(0.3))
    status2 = second.solve(cov.model)
    over_status, over_bound = str(second.status_name(status2)), 0.0
    if status2 in OK:
        n_values = [second.value(v) for v in cov.n]
        b_values = [second.value(v) for v in cov.b]
        over_bound = second.best_objective_bound

    # None: hour minimums cannot be met with these shifts; the full model must choose others.
    assigned = _assign(inst, n_values, left(0.5))
    chosen = assigned or []
    taken: dict[int, int] = defaultdict(int)
    for i in chosen:
        taken[inst.candidates[i].kind] += 1
    breaks = _deal_breaks(inst, dict(enumerate(b_values)), taken)
    status_name = str(first.status_name(status))
    if assigned is None or any(taken[k] < n for k, n in enumerate(n_values) if n):
        repaired = _repair(inst, holders, chosen, breaks, left(1.0))
        if isinstance(repaired, str):
            if assigned is None:
                return repaired
            status_name = "FEASIBLE"  # the assignment stands, short of some shifts
        else:
            status_name, chosen, breaks, full_bound = repaired
            bound = max(bound, full_bound)
    return Solution(
        status=status_name,
        objective=under_value,
        best_bound=bound,
        over_status=over_status,
        over_objective=0.0,
        over_best_bound=over_bound,
        wall_seconds=time.monotonic() - started,
        variables=len(inst.candidates) + len(inst.kinds) + len(inst.slots),
        chosen=chosen,
        breaks=breaks,
    )
