"""Time-off balances: ``/agents/{agent_id}/time-off-balances`` (staff write, the agent reads
their own) and ``POST /time-off-balances/import`` (CSV from an HR system, staff)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from opticall_common.db import transaction
from opticall_common.problems import Problem
from opticall_scheduling.access import check_acts_for
from opticall_scheduling.deps import Reader, Sessions, SettingsDep, Staff
from opticall_scheduling.timeoff import balances
from opticall_scheduling.timeoff.schemas import BalanceImport, Balances, BalancesPut

router = APIRouter(tags=["time off"])

CSV_EXAMPLE = "agent_id,type,hours\na-1001,vacation,80\na-1001,sick,40\n"


@router.get("/agents/{agent_id}/time-off-balances", summary="An agent's time-off balances")
def get_balances(agent_id: str, sessions: Sessions, principal: Reader) -> Balances:
    check_acts_for(principal, agent_id)
    with transaction(sessions) as session:
        return balances.balances(session, agent_id)


@router.put(
    "/agents/{agent_id}/time-off-balances",
    summary="Set an agent's balances (types left out are removed)",
)
def put_balances(agent_id: str, body: BalancesPut, sessions: Sessions, _: Staff) -> Balances:
    with transaction(sessions) as session:
        return balances.put_balances(session, agent_id, body.balances)


@router.post(
    "/time-off-balances/import",
    summary="Import balances from CSV (agent_id,type,hours); all or nothing",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE}},
        }
    },
)
async def import_balances(
    request: Request, sessions: Sessions, settings: SettingsDep, _: Staff
) -> BalanceImport:
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Problem(422, "the CSV must be UTF-8") from exc

    def store() -> BalanceImport:
        with transaction(sessions) as session:
            return balances.import_csv(session, text, settings.max_balance_rows)

    return await asyncio.to_thread(store)
