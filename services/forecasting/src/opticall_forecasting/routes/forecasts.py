"""Forecast jobs: ``POST /forecasts`` (202, idempotent by request id), status and results."""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from opticall_common import topics
from opticall_common.events import ForecastRequest, new_id
from opticall_common.problems import Problem
from opticall_common.text import Identifier
from opticall_forecasting import history_store, job_store
from opticall_forecasting.db_models import ForecastJob
from opticall_forecasting.deps import Publisher, Sessions, SettingsDep, Staff, unprocessable
from opticall_forecasting.schemas import Accepted, ForecastIn, ForecastJobOut, JobStatus
from opticall_forecasting.series import SeriesError, normalize_freq, parse_points, time_range
from opticall_forecasting.specs import check_country, check_model

log = logging.getLogger(__name__)

router = APIRouter(tags=["forecasting"])


def _period(points: list[dict[str, Any]] | None) -> dict[str, Any]:
    """First and last ``ds`` of the points and their smallest step (closed hours leave gaps)."""
    stamps = {str(p["ds"]) for p in points or [] if p.get("ds")}
    times = sorted(_utc(datetime.fromisoformat(ds)) for ds in stamps)
    if not times:
        return {}
    steps = [int((b - a).total_seconds()) // 60 for a, b in itertools.pairwise(times)]
    return {
        "period_start": times[0],
        "period_end": times[-1],
        "interval_minutes": min(steps) if steps else None,
    }


def _utc(ds: datetime) -> datetime:
    # Points without an offset are UTC by the suite's convention.
    return ds.replace(tzinfo=UTC) if ds.tzinfo is None else ds.astimezone(UTC)


def job_out(job: ForecastJob, *, with_points: bool = True) -> ForecastJobOut:
    return ForecastJobOut(
        **_period(job.points),
        id=job.id,
        status=job.status,
        queue=job.queue,
        metric=job.metric,
        model=job.model,
        points=job.points if with_points else None,
        accuracy=job.accuracy,
        error=job.error,
        attempts=job.attempts,
        created_at=job.created_at,
        completed_at=job.completed_at,
    )


def _validate(body: ForecastIn, sessions: Any, max_points: int) -> dict[str, Any]:
    """Refuse now what the worker would refuse later, so bad jobs are 422s, not failures."""
    if body.history is None and body.queue is None:
        raise SeriesError("body.queue", "give a queue with stored history, or inline history")
    if body.history is not None:
        parse_points([p.model_dump() for p in body.history], "body.history", max_points)
    elif not history_store.query(sessions, body.queue, limit=2):
        raise SeriesError("body.queue", f"no stored history for queue {body.queue!r}")
    if body.freq:
        normalize_freq(body.freq, "body.freq")
    check_country(body.country, "body.country")
    check_model(body.model, "body.model")
    request = body.model_dump(mode="json", exclude_none=True)
    bounds = time_range(body.start, body.end, "body.end")
    for key, value in zip(("start", "end"), bounds, strict=True):
        if value is not None:
            request[key] = value.isoformat()
    return request


@router.post(
    "/forecasts",
    status_code=202,
    response_model=Accepted,
    summary="Queue a forecast job (idempotent by request_id)",
)
async def create_forecast(
    principal: Staff,
    sessions: Sessions,
    settings: SettingsDep,
    publisher: Publisher,
    body: ForecastIn,
) -> JSONResponse:
    try:
        request = await asyncio.to_thread(_validate, body, sessions, settings.max_points)
    except SeriesError as exc:
        raise unprocessable(exc) from exc
    job_id = body.request_id or new_id()
    request["request_id"] = job_id
    job, created = await asyncio.to_thread(
        job_store.create_or_get,
        sessions,
        job_id,
        request,
        queue=body.queue,
        metric=body.metric.value,
        requested_by=principal.username,
    )
    if created:
        event = ForecastRequest.model_validate(
            {
                **{k: v for k, v in request.items() if k in ForecastRequest.model_fields},
                "requested_by": principal.username,
            }
        )
        try:
            await publisher.publish(topics.FORECAST_REQUESTS, job_id, event)
        except Exception:
            # The job row is stored: the worker's sweep re-queues it, so nothing is lost.
            log.exception("could not publish forecast request %s; left for the sweep", job_id)
    return JSONResponse(
        {"id": job.id, "status": job.status},
        status_code=202,
        headers={"Location": f"/forecasts/{job.id}"},
    )


@router.get("/forecasts", response_model=list[ForecastJobOut], summary="Recent forecast jobs")
async def list_forecasts(
    _: Staff,
    sessions: Sessions,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    status: JobStatus | None = None,
    queue: Annotated[Identifier | None, Query()] = None,
) -> list[ForecastJobOut]:
    jobs = await asyncio.to_thread(job_store.recent, sessions, limit, status, queue)
    return [job_out(j, with_points=False) for j in jobs]


@router.get("/forecasts/{job_id}", response_model=ForecastJobOut, summary="A forecast job")
async def get_forecast(_: Staff, sessions: Sessions, job_id: str) -> ForecastJobOut:
    job = await asyncio.to_thread(job_store.get, sessions, job_id)
    if job is None:
        raise Problem(404, f"no forecast job {job_id!r}")
    return job_out(job)
