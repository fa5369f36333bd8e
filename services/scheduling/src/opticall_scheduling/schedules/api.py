"""``/schedules``: generate a draft (CP-SAT), read it, publish it as shifts (S, A).

The solver runs in a worker thread (CP-SAT releases the GIL while it searches), one solve at a
time per process: two concurrent solves on two cores would each get half the time limit's
worth of search. Publishing goes through ``shifts.service.create_shifts``, the one path by
which shifts come to exist, so the outbox records a ``schedule-changes`` event per shift.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from opticall_common.db import transaction
from opticall_common.events import utcnow
from opticall_common.problems import Problem
from opticall_scheduling.deps import Sessions, Staff
from opticall_scheduling.errors import NotFound
from opticall_scheduling.schedules.generate import generate
from opticall_scheduling.schedules.models import GeneratedSchedule
from opticall_scheduling.schedules.schemas import GenerateRequest, Schedule, ScheduleStatus
from opticall_scheduling.shifts.schemas import Activity, ShiftCreate
from opticall_scheduling.shifts.service import create_shifts

router = APIRouter(prefix="/schedules", tags=["schedules"])


def _solve_lock(request: Request) -> asyncio.Lock:
    lock: asyncio.Lock | None = getattr(request.app.state, "schedule_solve_lock", None)
    if lock is None:
        lock = request.app.state.schedule_solve_lock = asyncio.Lock()
    return lock


def _out(row: GeneratedSchedule) -> Schedule:
    return Schedule.model_validate(
        {
            **row.result,
            "id": row.id,
            "status": row.status,
            "created_at": row.created_at,
            "created_by": row.created_by,
            "published_at": row.published_at,
            "shift_ids": row.shift_ids or [],
        }
    )


def _get(session: Session, schedule_id: str, *, for_update: bool = False) -> GeneratedSchedule:
    query = select(GeneratedSchedule).where(GeneratedSchedule.id == schedule_id)
    if for_update:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise NotFound("schedule", schedule_id)
    return row


@router.post("/generate", status_code=201, response_model=Schedule)
async def post_generate(
    body: GenerateRequest, request: Request, sessions: Sessions, principal: Staff
) -> Schedule:
    """Draft shifts (with breaks) minimising weighted under-coverage, then over-coverage,
    within ``time_limit_seconds``; coverage per interval and the solver's status, objective,
    bound and gap. Uncoverable intervals are reported, not refused."""
    async with _solve_lock(request):
        draft = await asyncio.to_thread(generate, body)
    result: dict[str, Any] = {
        "shifts": [s.model_dump(mode="json") for s in draft.shifts],
        "coverage": [c.model_dump(mode="json") for c in draft.coverage],
        "uncoverable": [u.model_dump(mode="json") for u in draft.uncoverable],
        "under_coverage_agent_minutes": draft.under,
        "over_coverage_agent_minutes": draft.over,
        "solver": draft.solver.model_dump(mode="json"),
    }

    def save() -> Schedule:
        with transaction(sessions) as session:
            row = GeneratedSchedule(
                id=uuid.uuid4().hex,
                status=ScheduleStatus.draft.value,
                created_by=principal.username,
                created_at=utcnow(),
                result=result,
                shift_ids=[],
            )
            session.add(row)
            session.flush()
            return _out(row)

    return await asyncio.to_thread(save)


@router.get("/{schedule_id}", response_model=Schedule)
def get_schedule(schedule_id: str, sessions: Sessions, _: Staff) -> Schedule:
    with transaction(sessions) as session:
        return _out(_get(session, schedule_id))


@router.post("/{schedule_id}/publish", response_model=Schedule)
def publish(schedule_id: str, sessions: Sessions, principal: Staff) -> Schedule:
    """Create the draft's shifts, all or nothing: 409 if already published or if a shift
    overlaps an existing one; each shift yields a ``schedule-changes`` event."""
    with transaction(sessions) as session:
        row = _get(session, schedule_id, for_update=True)
        if row.status == ScheduleStatus.published.value:
            raise Problem(409, f"schedule {schedule_id!r} is already published")
        items = [
            ShiftCreate(
                agent_id=s["agent_id"],
                start=s["start"],
                end=s["end"],
                activity=s.get("activity", "work"),
                queue=s.get("queue"),
                activities=[Activity.model_validate(a) for a in s.get("activities", [])],
            )
            for s in row.result["shifts"]
        ]
        shifts = create_shifts(session, items, principal.username) if items else []
        row.status = ScheduleStatus.published.value
        row.published_at = utcnow()
        row.published_by = principal.username
        row.shift_ids = [s.id for s in shifts]
        session.flush()
        return _out(row)
