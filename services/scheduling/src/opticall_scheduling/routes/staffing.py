"""HTTP routes for staffing: ``/staffing``, ``/staffing/evaluate``, ``/staffing/plan`` (S, A).

The math runs in a worker thread: a long week of Erlang A intervals takes a few hundred
milliseconds of CPU, which must not stall the event loop serving other requests.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from opticall_scheduling.deps import RuntimeDep, Staff
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


@router.post("/staffing", response_model=StaffingResponse)
async def post_staffing(body: StaffingRequest, _: Staff) -> StaffingResponse:
    """Fewest agents per interval meeting the service level and occupancy cap (Erlang C or A);
    ``agents_required`` adds shrinkage."""
    results = await asyncio.to_thread(required_staff, body, body.intervals)
    return StaffingResponse(intervals=results)


@router.post("/staffing/evaluate", response_model=EvaluateResponse)
async def post_evaluate(body: EvaluateRequest, _: Staff) -> EvaluateResponse:
    """Service level, ASA, occupancy (and abandonment for Erlang A) of a given headcount."""
    return EvaluateResponse(intervals=await asyncio.to_thread(evaluate, body))


@router.post("/staffing/plan", response_model=PlanResponse)
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
