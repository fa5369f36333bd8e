"""``GET /reports/service-level`` and ``GET /reports/forecast-accuracy`` (JSON or CSV)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from opticall_common.csv_export import to_csv
from opticall_common.problems import Problem
from opticall_common.text import Identifier
from opticall_forecasting import history_store, job_store, reports
from opticall_forecasting.deps import Sessions, Staff, unprocessable
from opticall_forecasting.series import SeriesError, time_range

router = APIRouter(tags=["reports"])

Format = Annotated[Literal["json", "csv"], Query(alias="format")]

SL_FIELDS = (
    "queue",
    "interval_start",
    "offered",
    "handled",
    "abandoned",
    "abandonment_rate",
    "aht_seconds",
    "service_level",
    "asa_seconds",
)
ACCURACY_FIELDS = ("ds", "yhat", "yhat_lower", "yhat_upper", "actual", "error")


def _csv_response(fields: tuple[str, ...]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI for ``?format=csv``: the same 200 also comes as text/csv with these columns."""
    return {
        200: {
            "description": "The report: JSON, or CSV (one row per report row) with `?format=csv`",
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": ",".join(fields) + "\n",
                }
            },
        }
    }


def _csv(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(
    "/reports/service-level",
    summary="Service level per queue and interval",
    responses=_csv_response(SL_FIELDS),
)
async def service_level(
    _: Staff,
    sessions: Sessions,
    queue: Annotated[Identifier | None, Query()] = None,
    start: datetime | None = None,
    end: datetime | None = None,
    interval: Annotated[str, Query(max_length=16)] = "1h",
    fmt: Format = "json",
) -> Any:
    try:
        bucket = reports.parse_interval(interval)
        lo, hi = time_range(start, end)
    except SeriesError as exc:
        raise unprocessable(exc) from exc
    rows = await asyncio.to_thread(history_store.query, sessions, queue, lo, hi)
    report = await asyncio.to_thread(reports.service_level, rows, bucket)
    if fmt == "csv":
        return _csv(to_csv(report["rows"], SL_FIELDS), "service-level")
    return report


QUEUE_ACCURACY_FIELDS = ("queue", "ds", "forecast_id", "model", "yhat", "actual", "error")


@router.get(
    "/reports/forecast-accuracy",
    summary="Stored forecasts against the actuals that arrived later",
    description=(
        "`forecast_id`: one job's forecast against the queue's actuals, per interval. "
        "`queue` (with optional `start`/`end` and `metric`): every interval with an actual, "
        "judged by the newest finished forecast made before it began, with WAPE/MAPE/RMSE."
    ),
    responses=_csv_response(ACCURACY_FIELDS),
)
async def forecast_accuracy(
    _: Staff,
    sessions: Sessions,
    forecast_id: Annotated[Identifier | None, Query()] = None,
    queue: Annotated[Identifier | None, Query()] = None,
    start: datetime | None = None,
    end: datetime | None = None,
    metric: Literal["volume", "aht"] = "volume",
    fmt: Format = "json",
) -> Any:
    if forecast_id is None:
        if queue is None:
            raise unprocessable(SeriesError("query.forecast_id", "give forecast_id or queue"))
        try:
            lo, hi = time_range(start, end)
        except SeriesError as exc:
            raise unprocessable(exc) from exc
        jobs = await asyncio.to_thread(job_store.done_for_queue, sessions, queue, metric)
        actuals = await asyncio.to_thread(history_store.query, sessions, queue, lo, hi)
        report = await asyncio.to_thread(reports.queue_accuracy, queue, metric, jobs, actuals)
        if fmt == "csv":
            return _csv(to_csv(report["rows"], QUEUE_ACCURACY_FIELDS), "forecast-accuracy")
        return report
    job = await asyncio.to_thread(job_store.get, sessions, forecast_id)
    if job is None:
        raise Problem(404, f"no forecast job {forecast_id!r}")
    if job.status != "done" or not job.points:
        raise Problem(409, f"forecast {forecast_id!r} is {job.status}, not done")
    if job.queue is None:
        raise Problem(409, "this forecast was made from inline history: no stored actuals")
    first = reports.parse_ds(job.points[0]["ds"])
    last = reports.parse_ds(job.points[-1]["ds"])
    actuals = await asyncio.to_thread(
        history_store.query, sessions, job.queue, first, last + reports.EPSILON
    )
    report = reports.forecast_accuracy(job, actuals)
    if fmt == "csv":
        return _csv(to_csv(report["rows"], ACCURACY_FIELDS), "forecast-accuracy")
    return report
