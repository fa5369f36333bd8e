"""Staffing requirements and evaluations for a list of intervals (pure functions, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from opticall_common.problems import Problem
from opticall_scheduling.staffing.erlang_a import erlang_a_metrics, staff_erlang_a
from opticall_scheduling.staffing.erlang_c import (
    QueueMetrics,
    erlang_c_metrics,
    productive_agents,
    staff_erlang_c,
    with_shrinkage,
)
from opticall_scheduling.staffing.schemas import (
    MAX_LOAD_ERLANGS,
    EvaluateRequest,
    EvaluateResult,
    QueueModel,
    StaffingInterval,
    StaffingParams,
    StaffingResult,
)


def offered_load(params: StaffingParams, intervals: Sequence[StaffingInterval]) -> list[float]:
    """Erlangs per interval; 422 naming the intervals whose load no center could staff."""
    seconds = params.interval_minutes * 60
    loads = [iv.volume / seconds * iv.aht_seconds for iv in intervals]
    errors = [
        {
            "field": f"intervals.{i}.volume",
            "message": f"offered load {load:.0f} Erlangs exceeds {MAX_LOAD_ERLANGS:.0f}",
        }
        for i, load in enumerate(loads)
        if load > MAX_LOAD_ERLANGS
    ]
    if errors:
        raise Problem(422, f"{errors[0]['field']}: {errors[0]['message']}", errors=errors[:20])
    return loads


def _result(iv: StaffingInterval, m: QueueMetrics, shrinkage: float) -> StaffingResult:
    # Computed values, not input: skipping validation saves most of the time on a long week.
    return StaffingResult.model_construct(
        start=iv.start,
        agents_raw=m.agents,
        agents_required=with_shrinkage(m.agents, shrinkage),
        service_level=m.service_level,
        asa_seconds=m.asa_seconds,
        occupancy=m.occupancy,
        p_wait=m.p_wait,
        abandonment=m.abandonment,
    )


def required_staff(
    params: StaffingParams, intervals: Sequence[StaffingInterval]
) -> list[StaffingResult]:
    """The fewest agents per interval meeting the service level and the occupancy cap."""
    loads = offered_load(params, intervals)
    if params.model is QueueModel.erlang_c:
        metrics = staff_erlang_c(
            np.array(loads, dtype=np.float64),
            np.array([iv.aht_seconds for iv in intervals], dtype=np.float64),
            params.answer_seconds,
            params.service_level,
            params.max_occupancy,
        )
    else:
        assert params.patience_seconds is not None  # enforced by StaffingParams
        seconds = params.interval_minutes * 60
        metrics = [
            staff_erlang_a(
                iv.volume / seconds,
                iv.aht_seconds,
                params.patience_seconds,
                params.answer_seconds,
                params.service_level,
                params.max_occupancy,
            )
            for iv in intervals
        ]
    return [_result(iv, m, params.shrinkage) for iv, m in zip(intervals, metrics, strict=True)]


def evaluate(req: EvaluateRequest) -> list[EvaluateResult]:
    """What each interval's scheduled headcount achieves, after shrinkage."""
    loads = offered_load(req, req.intervals)
    seconds = req.interval_minutes * 60
    out = []
    for iv, load in zip(req.intervals, loads, strict=True):
        agents = productive_agents(iv.agents, req.shrinkage)
        if req.model is QueueModel.erlang_c:
            m = erlang_c_metrics(agents, load, iv.aht_seconds, req.answer_seconds)
        else:
            assert req.patience_seconds is not None
            m = erlang_a_metrics(
                agents, iv.volume / seconds, iv.aht_seconds, req.patience_seconds,
                req.answer_seconds,
            )  # fmt: skip
        out.append(
            EvaluateResult(
                start=iv.start,
                agents=iv.agents,
                agents_productive=agents,
                service_level=m.service_level,
                asa_seconds=m.asa_seconds,
                occupancy=m.occupancy,
                p_wait=m.p_wait,
                abandonment=m.abandonment,
                meets_target=m.service_level >= req.service_level
                and m.occupancy <= req.max_occupancy,
            )
        )
    return out
