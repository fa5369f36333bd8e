"""``/queues/{queue}/time-off-allowance`` (staff): how many of a queue's agents may be off at
once, per weekday and hours if need be, and whether requests within it approve themselves."""

from __future__ import annotations

from fastapi import APIRouter

from opticall_common.db import get_or_404, transaction
from opticall_common.text import Identifier
from opticall_scheduling.deps import Sessions, Staff
from opticall_scheduling.timeoff import allowance
from opticall_scheduling.timeoff.models import TimeOffAllowance
from opticall_scheduling.timeoff.schemas import AllowanceOut, AllowancePut

router = APIRouter(prefix="/queues/{queue}/time-off-allowance", tags=["time off"])


@router.put("", summary="Set a queue's time-off allowance")
def put_allowance(
    queue: Identifier, body: AllowancePut, sessions: Sessions, _: Staff
) -> AllowanceOut:
    with transaction(sessions) as session:
        return allowance.to_out(allowance.put(session, queue, body))


@router.get("", summary="A queue's time-off allowance (404: no limit)")
def get_allowance(queue: str, sessions: Sessions, _: Staff) -> AllowanceOut:
    with transaction(sessions) as session:
        row = get_or_404(session, TimeOffAllowance, queue, "time-off allowance of queue")
        return allowance.to_out(row)
