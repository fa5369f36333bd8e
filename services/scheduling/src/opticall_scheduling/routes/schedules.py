"""``/schedules``: generate a draft (CP-SAT), read it, publish it as shifts (S, A).

The solver runs in a worker thread (CP-SAT releases the GIL while it searches), one solve at a
time per process (``Runtime.solve_lock``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from fastapi import APIRouter, Depends

from opticall_common.db import transaction
from opticall_scheduling.deps import RuntimeDep, Sessions, Staff
from opticall_scheduling.limits import list_sizes
from opticall_scheduling.schedules import drafts
from opticall_scheduling.schedules.generate import generate
from opticall_scheduling.schedules.schemas import GenerateRequest, Schedule
from opticall_scheduling.timeoff.requests import approved_between

router = APIRouter(prefix="/schedules", tags=["schedules"])


@router.post(
    "/generate",
    status_code=201,
    response_model=Schedule,
    dependencies=[Depends(list_sizes(GenerateRequest))],
)
async def post_generate(body: GenerateRequest, runtime: RuntimeDep, principal: Staff) -> Schedule:
    """Draft shifts (with breaks) minimising weighted under-coverage, then over-coverage,
    within ``time_limit_seconds``; an agent's approved time off is unavailability; coverage
    per interval and the solver's status, objective, bound and gap. Uncoverable intervals are
    reported, not refused."""

    def unavailable() -> dict[str, list[tuple[datetime, datetime]]]:
        start = min(r.start for r in body.requirement)
        # The horizon ends at the last interval's end; a day beyond covers any interval length.
        end = max(r.start for r in body.requirement) + timedelta(days=1)
        with transaction(runtime.sessions) as session:
            return approved_between(session, [a.agent_id for a in body.agents], start, end)

    time_off = await asyncio.to_thread(unavailable)
    async with runtime.solve_lock:
        draft = await asyncio.to_thread(generate, body, time_off)

    def save() -> Schedule:
        with transaction(runtime.sessions) as session:
            return drafts.to_out(drafts.save(session, draft, principal.username))

    return await asyncio.to_thread(save)


@router.get("/{schedule_id}", response_model=Schedule)
def get_schedule(schedule_id: str, sessions: Sessions, _: Staff) -> Schedule:
    with transaction(sessions) as session:
        return drafts.to_out(drafts.get(session, schedule_id))


@router.post("/{schedule_id}/publish", response_model=Schedule)
def publish(schedule_id: str, sessions: Sessions, principal: Staff) -> Schedule:
    """Create the draft's shifts, all or nothing: 409 if already published or if a shift
    overlaps an existing one; each shift yields a ``schedule-changes`` event."""
    with transaction(sessions) as session:
        return drafts.to_out(drafts.publish(session, schedule_id, principal.username))
