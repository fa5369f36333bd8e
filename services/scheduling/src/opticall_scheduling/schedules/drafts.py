"""Generated schedules kept as drafts: save a solver result, read it, publish it as shifts.

Publishing goes through ``shifts.service.create_shifts``, the one path by which shifts come
to exist, so the outbox records a ``schedule-changes`` event per shift.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from opticall_common.db import get_or_404
from opticall_common.events import utcnow
from opticall_common.problems import Problem
from opticall_scheduling.schedules.generate import Draft
from opticall_scheduling.schedules.models import GeneratedSchedule
from opticall_scheduling.schedules.schemas import Schedule, ScheduleStatus
from opticall_scheduling.shifts.schemas import Activity, ShiftCreate
from opticall_scheduling.shifts.service import create_shifts


def to_out(row: GeneratedSchedule) -> Schedule:
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


def get(session: Session, schedule_id: str, *, for_update: bool = False) -> GeneratedSchedule:
    return get_or_404(session, GeneratedSchedule, schedule_id, "schedule", for_update=for_update)


def save(session: Session, draft: Draft, actor: str | None) -> GeneratedSchedule:
    result: dict[str, Any] = {
        "shifts": [s.model_dump(mode="json") for s in draft.shifts],
        "coverage": [c.model_dump(mode="json") for c in draft.coverage],
        "uncoverable": [u.model_dump(mode="json") for u in draft.uncoverable],
        "under_coverage_agent_minutes": draft.under,
        "over_coverage_agent_minutes": draft.over,
        "solver": draft.solver.model_dump(mode="json"),
    }
    row = GeneratedSchedule(
        id=uuid.uuid4().hex,
        status=ScheduleStatus.draft.value,
        created_by=actor,
        created_at=utcnow(),
        result=result,
        shift_ids=[],
    )
    session.add(row)
    session.flush()
    return row


def publish(session: Session, schedule_id: str, actor: str | None) -> GeneratedSchedule:
    """Create the draft's shifts, all or nothing: 409 if already published or if a shift
    overlaps an existing one."""
    row = get(session, schedule_id, for_update=True)
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
    shifts = create_shifts(session, items, actor) if items else []
    row.status = ScheduleStatus.published.value
    row.published_at = utcnow()
    row.published_by = actor
    row.shift_ids = [s.id for s in shifts]
    session.flush()
    return row
