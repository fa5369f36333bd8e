"""HTTP routes for staffing: ``/staffing``, ``/staffing/evaluate``, ``/staffing/plan`` (S, A).

The math runs in a worker thread: a long week of Erlang A intervals takes a few hundred
milliseconds of CPU, which must not stall the event loop serving other requests.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request

from opticall_common.problems import Problem
from opticall_scheduling.deps import RuntimeDep, Staff
from opticall_scheduling.limits import check_list_sizes, list_sizes, parsed_body
from opticall_scheduling.staffing import plan as planning
from opticall_scheduling.staffing.schemas import (
    EvaluateRequest,
    EvaluateResponse,
    PlanRequest,
    PlanResponse,
    StaffingRequest,
    StaffingResponse,
)
from opticall_scheduling.staffing.service import evaluate, required_staff

router = APIRouter(tags=["staffing"])


@router.post(
    "/staffing",
    response_model=StaffingResponse,
    dependencies=[Depends(list_sizes(StaffingRequest))],
)
async def post_staffing(body: StaffingRequest, _: Staff) -> StaffingResponse:
    """Fewest agents per interval meeting the service level and occupancy cap (Erlang C or A);
    ``agents_required`` adds shrinkage."""
    results = await asyncio.to_thread(required_staff, body, body.intervals)
    return StaffingResponse(intervals=results)


@router.post(
    "/staffing/evaluate",
    response_model=EvaluateResponse,
    dependencies=[Depends(list_sizes(EvaluateRequest))],
)
async def post_evaluate(body: EvaluateRequest, _: Staff) -> EvaluateResponse:
    """Service level, ASA, occupancy (and abandonment for Erlang A) of a given headcount."""
    return EvaluateResponse(intervals=await asyncio.to_thread(evaluate, body))


async def _plan_sizes(request: Request) -> None:
    """Each list within its limit, and the inline intervals of all queues within the plan's,
    before any item is validated."""
    body = await parsed_body(request)
    check_list_sizes(PlanRequest, body)
    queues = body.get("queues") if isinstance(body, dict) else None
    if isinstance(queues, list):
        total = sum(len(q.get("intervals") or []) for q in queues if isinstance(q, dict))
        if total > planning.MAX_PLAN_INTERVALS:
            raise Problem(
                422, f"{total} intervals in all; at most {planning.MAX_PLAN_INTERVALS} per plan"
            )


@router.post("/staffing/plan", response_model=PlanResponse, dependencies=[Depends(_plan_sizes)])
async def post_plan(
    body: PlanRequest, request: Request, runtime: RuntimeDep, _: Staff
) -> PlanResponse:
    """Requirements per interval and queue from stored forecasts and/or inline intervals."""
    queues = await planning.plan(
        body,
        runtime.res.http,
        runtime.settings.forecasting_url,
        request.headers.get("authorization"),
    )
    return await asyncio.to_thread(planning.staff_plan, body, queues)
