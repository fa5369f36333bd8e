"""``/shifts`` routes. Reads: agents (own shifts only), supervisors, admins; writes: staff.

Routes are sync: SQLAlchemy work runs in FastAPI's thread pool, off the event loop. The relay
is woken by the session's after-commit hook (``outbox.writer.wake_on_commit``), or by POST
/shifts itself after its one-statement path (``shifts.fast``) committed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from opticall_common.app import ORJSONResponse
from opticall_common.db import transaction
from opticall_scheduling.access import agent_scope, is_staff, own_agent
from opticall_scheduling.deps import Reader, RuntimeDep, Sessions, SettingsDep, Staff
from opticall_scheduling.errors import InvalidShifts, NotFound
from opticall_scheduling.limits import parsed_body
from opticall_scheduling.shifts import fast, service
from opticall_scheduling.shifts.schemas import (
    BulkCreated,
    ShiftCreate,
    ShiftCreated,
    ShiftOut,
    ShiftPage,
    ShiftUpdate,
    UtcTime,
)

router = APIRouter(prefix="/shifts", tags=["shifts"])


@router.post(
    "",
    status_code=201,
    response_model=ShiftCreated,
    summary="Create a shift (409 if it overlaps)",
)
def create_shift(body: ShiftCreate, runtime: RuntimeDep, principal: Staff) -> ORJSONResponse:
    shift = None
    max_length = runtime.settings.max_shift_length
    if runtime.fast_engine is not None:
        try:
            shift = fast.create_one(
                runtime.fast_engine,
                runtime.sessions,
                body,
                principal.username,
                max_length=max_length,
            )
            runtime.relay.notify()
        except fast.Fallback:
            pass  # rolled back; the checked path below says exactly what is wrong
    if shift is None:
        with transaction(runtime.sessions) as session:
            (shift,) = service.create_shifts(
                session, [body], principal.username, max_length=max_length, indexed=False
            )
    return ORJSONResponse({"id": shift.id, "shift": service.to_dict(shift)}, status_code=201)


async def _bulk_count(request: Request, settings: SettingsDep) -> None:
    """The item count, checked on the parsed body before any item is validated (#27)."""
    body = await parsed_body(request)
    if not isinstance(body, list):
        return  # validation words the error
    if not body:
        raise InvalidShifts([{"field": "body", "message": "no shifts given"}])
    if len(body) > settings.max_bulk_shifts:
        raise InvalidShifts(
            [{"field": "body", "message": f"at most {settings.max_bulk_shifts} shifts per request"}]
        )


@router.post(
    "/bulk",
    status_code=201,
    summary="Create many shifts, all or nothing",
    dependencies=[Depends(_bulk_count)],
)
def create_shifts(
    body: Annotated[list[ShiftCreate], Body(description="shifts to create; errors name the index")],
    sessions: Sessions,
    settings: SettingsDep,
    principal: Staff,
) -> BulkCreated:
    with transaction(sessions) as session:
        shifts = service.create_shifts(
            session, body, principal.username, max_length=settings.max_shift_length
        )
    return BulkCreated(ids=[s.id for s in shifts])


@router.get(
    "",
    response_model=ShiftPage,
    summary="Shifts overlapping [start, end), ordered by start; cursor-paginated",
)
def list_shifts(
    sessions: Sessions,
    principal: Reader,
    agent_id: str | None = None,
    start: Annotated[UtcTime | None, Query(description="shifts ending after this time")] = None,
    end: Annotated[UtcTime | None, Query(description="shifts starting before this time")] = None,
    queue: str | None = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ORJSONResponse:
    if not is_staff(principal) and principal.agent_id is None:  # a user linked to no agent
        return ORJSONResponse({"items": [], "next_cursor": None})
    agent_id = agent_scope(principal, agent_id)
    with transaction(sessions) as session:
        rows, next_cursor = service.list_shifts(
            session,
            agent_id=agent_id,
            start=start,
            end=end,
            queue=queue,
            cursor=cursor,
            limit=limit,
        )
        # Plain dicts straight to orjson: a page of 1,000 shifts through pydantic twice (build,
        # then response validation) costs more than the query.
        return ORJSONResponse(
            {"items": [service.to_dict(s) for s in rows], "next_cursor": next_cursor}
        )


@router.get("/{shift_id}", summary="One shift")
def get_shift(shift_id: str, sessions: Sessions, principal: Reader) -> ShiftOut:
    own = None if is_staff(principal) else own_agent(principal)
    with transaction(sessions) as session:
        shift = service.get_shift(session, shift_id)
        if own is not None and shift.agent_id != own:
            raise NotFound("shift", shift_id)  # don't reveal other agents' shift ids
        return service.to_out(shift)


@router.patch("/{shift_id}", summary="Change a shift (re-validated as a whole)")
def update_shift(
    shift_id: str, body: ShiftUpdate, sessions: Sessions, settings: SettingsDep, principal: Staff
) -> ShiftOut:
    with transaction(sessions) as session:
        shift = service.update_shift(
            session, shift_id, body, principal.username, max_length=settings.max_shift_length
        )
    return service.to_out(shift)


@router.delete("/{shift_id}", status_code=204, summary="Delete a shift")
def delete_shift(shift_id: str, sessions: Sessions, principal: Staff) -> Response:
    with transaction(sessions) as session:
        service.delete_shift(session, shift_id, principal.username)
    return Response(status_code=204)
