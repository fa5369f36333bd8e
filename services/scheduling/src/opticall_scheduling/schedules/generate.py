"""Generation as one blocking call (run it off the event loop): request in, draft out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from opticall_common.problems import Problem
from opticall_scheduling.schedules import report
from opticall_scheduling.schedules.problem import build_problem
from opticall_scheduling.schedules.schemas import (
    CoverageInterval,
    DraftShift,
    GenerateRequest,
    SolverReport,
    Uncoverable,
)
from opticall_scheduling.schedules.solver import solve

# Beyond this the model takes longer to build than any sensible time limit allows.
MAX_CANDIDATES = 200_000


@dataclass
class Draft:
    shifts: list[DraftShift]
    coverage: list[CoverageInterval]
    uncoverable: list[Uncoverable]
    under: float
    over: float
    solver: SolverReport


def generate(
    req: GenerateRequest, time_off: Mapping[str, Sequence[tuple[datetime, datetime]]] | None = None
) -> Draft:
    """``time_off``: each agent's approved time off, which the agent is unavailable for."""
    inst = build_problem(req, time_off)
    size = len(inst.candidates) + len(inst.slots)
    if size > MAX_CANDIDATES:
        raise Problem(
            422,
            f"{size} shift and break choices exceed "
            f"{MAX_CANDIDATES}; coarsen start_granularity_minutes or shorten the horizon",
        )
    sol = solve(inst, req.time_limit_seconds)
    if isinstance(sol, str):
        if sol == "INFEASIBLE":
            raise Problem(
                422,
                "no schedule meets every agent's weekly hour limits together with the rest "
                "time and one shift per day",
                solver_status=sol,
            )
        raise Problem(
            422,
            f"no schedule found within {req.time_limit_seconds:g} s (solver status {sol}); "
            "raise time_limit_seconds",
            solver_status=sol,
        )
    coverage, under, weighted, over = report.coverage(inst, sol)
    return Draft(
        shifts=report.draft_shifts(req, inst, sol),
        coverage=coverage,
        uncoverable=report.uncoverable(inst),
        under=under,
        over=over,
        solver=report.solver_report(sol, weighted, over),
    )
