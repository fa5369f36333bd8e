"""``/time-off``: requests (agents for themselves, staff for anyone), decisions (staff), and
cancellation (staff, or the agent for their own)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from opticall_common.db import transaction
from opticall_scheduling.access import agent_scope, check_acts_for, is_staff
from opticall_scheduling.deps import Reader, Sessions, SettingsDep, Staff
from opticall_scheduling.errors import NotFound
from opticall_scheduling.shifts.schemas import UtcTime
from opticall_scheduling.timeoff import requests
from opticall_scheduling.timeoff.schemas import (
    TimeOffCreate,
    TimeOffOut,
    TimeOffPage,
    TimeOffStatus,
)

router = APIRouter(prefix="/time-off", tags=["time off"])


@router.post("", status_code=201, summary="Request time off: approved, pending or rejected at once")
def create(
    body: TimeOffCreate, sessions: Sessions, settings: SettingsDep, principal: Reader
) -> TimeOffOut:
    """``approved`` when the balance and every queue allowance hold (and the queues approve
    on their own), ``pending`` when only an allowance is exceeded (reason ``allowance``) or a
    queue wants a supervisor (``approval``), ``rejected`` when the balance is short
    (``balance``). Approval changes the agent's shifts in the same transaction."""
    check_acts_for(principal, body.agent_id)
    with transaction(sessions) as session:
        req = requests.create(
            session,
            body,
            principal.username,
            day_hours=settings.time_off_day_hours,
            max_days=settings.max_time_off_days,
        )
        return requests.to_out(req)


@router.get("", summary="Time-off requests overlapping [start, end), by start (agents: own)")
def listing(
    sessions: Sessions,
    principal: Reader,
    agent_id: str | None = None,
    status: TimeOffStatus | None = None,
    start: Annotated[UtcTime | None, Query(description="requests ending after this")] = None,
    end: Annotated[UtcTime | None, Query(description="requests starting before this")] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> TimeOffPage:
    scope = agent_scope(principal, agent_id)
    with transaction(sessions) as session:
        rows, next_cursor = requests.listing(
            session, agent_id=scope, status=status, start=start, end=end, cursor=cursor, limit=limit
        )
        return TimeOffPage(items=[requests.to_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/{request_id}", summary="One time-off request")
def get_one(request_id: str, sessions: Sessions, principal: Reader) -> TimeOffOut:
    with transaction(sessions) as session:
        req = requests.get(session, request_id)
        if not is_staff(principal) and req.agent_id != principal.agent_id:
            raise NotFound("time off", request_id)  # don't reveal other agents' requests
        return requests.to_out(req)


@router.post("/{request_id}/approve", summary="Approve a pending request (over the allowance)")
def approve(request_id: str, sessions: Sessions, principal: Staff) -> TimeOffOut:
    with transaction(sessions) as session:
        return requests.to_out(requests.approve(session, request_id, principal.username))


@router.post("/{request_id}/deny", summary="Deny a pending request")
def deny(request_id: str, sessions: Sessions, principal: Staff) -> TimeOffOut:
    with transaction(sessions) as session:
        return requests.to_out(requests.deny(session, request_id, principal.username))


@router.post(
    "/{request_id}/cancel",
    summary="Cancel a pending or approved request: the balance and the shifts come back",
)
def cancel(request_id: str, sessions: Sessions, principal: Reader) -> TimeOffOut:
    staff = is_staff(principal)
    with transaction(sessions) as session:
        req = requests.get(session, request_id)
        if not staff and req.agent_id != principal.agent_id:
            raise NotFound("time off", request_id)
        return requests.to_out(
            requests.cancel(session, request_id, principal.username, staff=staff)
        )
