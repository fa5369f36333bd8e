"""``/staffing/plan``: staffing requirements from stored forecasts or inline intervals per queue.

Forecasts are read from the forecasting service over HTTP with the caller's own
``Authorization`` header, so a caller only ever plans from forecasts they may read.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from opticall_common.problems import Problem
from opticall_scheduling.staffing.schemas import (
    ForecastSource,
    PlanRequest,
    PlanResponse,
    PlanResult,
    PlanTotal,
    StaffingInterval,
)
from opticall_scheduling.staffing.service import required_staff

# A forecast of AHT can dip to nonsense (≤ 0) where history is thin; a second is the floor.
MIN_FORECAST_AHT = 1.0
MAX_PLAN_INTERVALS = 50_000


class _Point(BaseModel):
    ds: datetime
    yhat: float


def _utc(ds: datetime) -> datetime:
    # Forecast timestamps without an offset are UTC by the suite's convention.
    return ds.replace(tzinfo=UTC) if ds.tzinfo is None else ds.astimezone(UTC)


async def fetch_points(
    http: httpx.AsyncClient, base_url: str, forecast_id: str, authorization: str | None, field: str
) -> dict[datetime, float]:
    """``{ds: yhat}`` of a finished forecast; problems for missing, unfinished or unreachable."""
    headers = {"Authorization": authorization} if authorization else {}
    url = f"{base_url.rstrip('/')}/forecasts/{quote(forecast_id, safe='')}"
    try:
        resp = await http.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise Problem(503, "the forecasting service is unavailable; try again shortly") from exc
    if resp.status_code == 404:
        raise Problem(
            422,
            f"{field}: forecast {forecast_id!r} not found",
            errors=[{"field": field, "message": "forecast not found"}],
        )
    if resp.status_code in (401, 403):
        raise Problem(resp.status_code, f"the forecasting service refused forecast {forecast_id!r}")
    if resp.status_code != 200:
        raise Problem(502, f"the forecasting service answered {resp.status_code}")
    try:
        body: dict[str, Any] = resp.json()
        status = body.get("status")
        # The points sit in ``result`` (DESIGN) or, as the forecasting service serves them
        # today, at the top level of the job; either is read.
        raw = body.get("points") or (body.get("result") or {}).get("points") or []
        points = [_Point.model_validate(p) for p in raw]
    except (ValueError, AttributeError, ValidationError) as exc:
        raise Problem(502, "the forecasting service answered an unreadable forecast") from exc
    if status != "done":
        raise Problem(409, f"forecast {forecast_id!r} is {status or 'not finished'}, not done")
    return {_utc(p.ds): p.yhat for p in points}


def _check_spacing(points: dict[datetime, float], minutes: int, forecast_id: str) -> None:
    times = sorted(points)
    steps = {int((b - a).total_seconds()) for a, b in itertools.pairwise(times)}
    if steps and min(steps) != minutes * 60:
        raise Problem(
            422,
            f"forecast {forecast_id!r} has {min(steps) // 60}-minute intervals; "
            f"interval_minutes is {minutes}",
        )


async def intervals_from_forecast(
    src: ForecastSource, req: PlanRequest, http: httpx.AsyncClient, base_url: str, auth: str | None
) -> list[StaffingInterval]:
    volume = await fetch_points(http, base_url, src.forecast_id, auth, "forecast_id")
    _check_spacing(volume, req.interval_minutes, src.forecast_id)
    aht: dict[datetime, float] = {}
    if src.aht_forecast_id is not None:
        aht = await fetch_points(http, base_url, src.aht_forecast_id, auth, "aht_forecast_id")
        missing = [ds for ds in volume if ds not in aht]
        if missing:
            raise Problem(
                422,
                f"AHT forecast {src.aht_forecast_id!r} has no point at {missing[0].isoformat()}",
            )
    return [
        StaffingInterval(
            start=ds,
            volume=max(0.0, y),
            aht_seconds=max(MIN_FORECAST_AHT, aht[ds]) if aht else float(src.aht_seconds or 0),
        )
        for ds, y in sorted(volume.items())
    ]


async def plan(
    req: PlanRequest, http: httpx.AsyncClient, base_url: str, authorization: str | None
) -> list[tuple[str | None, list[StaffingInterval]]]:
    """Every queue's intervals, fetched or inline, in request order."""
    out: list[tuple[str | None, list[StaffingInterval]]] = []
    for src in req.forecasts:
        out.append(
            (src.queue, await intervals_from_forecast(src, req, http, base_url, authorization))
        )
    out.extend((q.queue, q.intervals) for q in req.queues)
    total = sum(len(ivs) for _, ivs in out)
    if total > MAX_PLAN_INTERVALS:
        raise Problem(422, f"{total} intervals in all; at most {MAX_PLAN_INTERVALS} per plan")
    return out


def staff_plan(
    req: PlanRequest, queues: list[tuple[str | None, list[StaffingInterval]]]
) -> PlanResponse:
    results: list[PlanResult] = []
    totals: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    for queue, intervals in queues:
        for iv, r in zip(intervals, required_staff(req, intervals), strict=True):
            results.append(
                PlanResult(
                    **r.model_dump(), queue=queue, volume=iv.volume, aht_seconds=iv.aht_seconds
                )
            )
            totals[r.start][0] += r.agents_raw
            totals[r.start][1] += r.agents_required
    return PlanResponse(
        intervals=results,
        totals=[
            PlanTotal(start=ds, agents_raw=raw, agents_required=req_)
            for ds, (raw, req_) in sorted(totals.items())
        ],
    )
