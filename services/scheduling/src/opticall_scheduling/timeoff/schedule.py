"""What approved time off does to the agent's shifts, and how a cancellation undoes it.

Approval, in the request's transaction: a shift wholly inside the time off is removed; a shift
it overlaps keeps its other parts, and the overlap becomes a ``time_off`` activity (other
activities are cut back to outside it). Each changed shift is published on
``schedule-changes`` by the outbox like any shift edit. What was done is kept on the request
(``schedule_effect``) so that cancelling restores the shifts: removed ones come back with
their ids where nothing overlaps them since, and changed ones get their activities back
unless a supervisor edited them meanwhile (then only the time-off activity is taken out).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opticall_common.events import ActivityKind, ChangeOp
from opticall_scheduling.models import Shift
from opticall_scheduling.outbox.writer import record_change
from opticall_scheduling.shifts import service as shifts
from opticall_scheduling.shifts.schemas import Activity
from opticall_scheduling.timeoff.models import TimeOffRequest
from opticall_scheduling.workrules import subtract

TIME_OFF = ActivityKind.time_off


def _overlapping(session: Session, agent_id: str, start: datetime, end: datetime) -> list[Shift]:
    query = (
        select(Shift)
        .where(Shift.agent_id == agent_id, Shift.start_at < end, Shift.end_at > start)
        .order_by(Shift.start_at)
        .with_for_update()
    )
    return list(session.scalars(query))


def _carve(activities: list[Activity], lo: datetime, hi: datetime) -> list[Activity]:
    """``activities`` cut back to outside ``[lo, hi)``, plus a time-off activity there."""
    out = [Activity(kind=TIME_OFF, start=lo, end=hi)]
    for act in activities:
        for s, e in subtract([(act.start, act.end)], [(lo, hi)]):
            out.append(Activity(kind=act.kind, start=s, end=e))
    return out


def apply(session: Session, req: TimeOffRequest, actor: str | None) -> dict[str, Any]:
    removed: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for shift in _overlapping(session, req.agent_id, req.start_at, req.end_at):
        if req.start_at <= shift.start_at and shift.end_at <= req.end_at:
            removed.append(shifts.to_out(shift).model_dump(mode="json"))
            shifts.delete_shift(session, shift.id, actor)
            continue
        before = list(shift.activities or [])
        lo, hi = max(shift.start_at, req.start_at), min(shift.end_at, req.end_at)
        acts = [Activity.model_validate(a) for a in before]
        shift.activities = shifts.activities_json(_carve(acts, lo, hi))
        shift.updated_by = actor
        session.flush()
        record_change(session, ChangeOp.updated, shift, actor)
        changed.append({"id": shift.id, "before": before, "after": shift.activities})
    session.flush()
    return {"removed": removed, "changed": changed}


def revert(session: Session, req: TimeOffRequest, actor: str | None) -> None:
    effect = req.schedule_effect or {}
    for item in effect.get("changed", []):
        shift = session.get(Shift, item["id"], with_for_update=True)
        if shift is None:
            continue  # deleted since: nothing to give back
        if shift.activities == item["after"]:
            shift.activities = item["before"]
        else:  # edited since: keep the edit, drop only this request's time off
            lo, hi = req.start_at, req.end_at
            shift.activities = [
                a
                for a in shift.activities or []
                if not (
                    a["kind"] == TIME_OFF.value
                    and lo <= datetime.fromisoformat(a["start"])
                    and datetime.fromisoformat(a["end"]) <= hi
                )
            ]
        shift.updated_by = actor
        session.flush()
        record_change(session, ChangeOp.updated, shift, actor)
    for data in effect.get("removed", []):
        shifts.restore_shift(session, data, actor)
