"""Read side over HTTP: live state (GET /realtime), adherence history and reports."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from opticall_common.events import utcnow
from opticall_common.problems import Problem
from opticall_realtime.deps import RuntimeDep, SupervisorDep
from opticall_realtime.history import history, rows_for_report
from opticall_realtime.hub import Filters, select
from opticall_realtime.reports import GroupBy, adherence_report, to_csv

router = APIRouter(tags=["realtime"])

ListParam = Annotated[list[str] | None, Query()]


@router.get("/realtime")
async def realtime(
    rt: RuntimeDep,
    _: SupervisorDep,
    queue: ListParam = None,
    state: ListParam = None,
    adherence: ListParam = None,
) -> dict[str, Any]:
    """Every agent's live state (filters: queue, state, adherence; repeat or comma-separate)."""
    agents = select(rt.view.records, Filters.of(queue, state, adherence))
    return {
        "as_of": utcnow(),
        "agents": agents,
        "summary": {
            "total": len(agents),
            "by_state": dict(Counter(a["state"] for a in agents)),
            "by_queue": dict(Counter(a["queue"] or "(none)" for a in agents)),
            "by_adherence": dict(Counter(a["adherence"] for a in agents)),
        },
    }


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise Problem(422, f"{name} needs a UTC offset, e.g. 2026-11-25T14:00:00Z")
    return None if value is None else value.astimezone(UTC)


@router.get("/adherence")
async def adherence_history(
    rt: RuntimeDep,
    _: SupervisorDep,
    agent_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> dict[str, Any]:
    """Adherence history: one item each time an agent's adherence, activity or state changed."""
    s, e = _aware("start", start), _aware("end", end)
    if s is not None and e is not None and e <= s:
        raise Problem(422, "end must be after start")
    rows = await asyncio.to_thread(history, rt.sessions, agent_id, s, e, limit)
    return {"items": [r.to_api() for r in rows], "count": len(rows)}


# ``?format=csv`` answers text/csv: documented so the schema lists what is really served.
REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report: JSON by default, CSV with ``?format=csv``.",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/csv": {
                "schema": {"type": "string"},
                "example": "key,agents,in_seconds,out_seconds,unscheduled_seconds,"
                "scheduled_work_seconds,worked_seconds,adherence_pct,conformance_pct\r\n",
            },
        },
    }
}


@router.get("/reports/adherence", response_model=None, responses=REPORT_RESPONSES)
async def adherence_report_endpoint(
    rt: RuntimeDep,
    _: SupervisorDep,
    start: datetime,
    end: datetime,
    group_by: GroupBy = GroupBy.agent,
    format: Literal["json", "csv"] = "json",
) -> dict[str, Any] | Response:
    """Adherence % and conformance % per agent, queue or day over [start, end)."""
    s, e = _aware("start", start), _aware("end", end)
    assert s is not None and e is not None
    if e <= s:
        raise Problem(422, "end must be after start")
    if (e - s).days > 400:
        raise Problem(422, "the report period may not exceed 400 days")
    rows = await asyncio.to_thread(rows_for_report, rt.sessions, s, e)
    items = adherence_report(rows, s, e, group_by, utcnow())
    if format == "csv":
        return Response(
            to_csv(items),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="adherence.csv"'},
        )
    return {"start": s, "end": e, "group_by": group_by.value, "items": items}
