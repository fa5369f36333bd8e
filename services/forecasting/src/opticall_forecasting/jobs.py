"""Running forecast jobs: history to spec, backtest + fit in the pool, store, publish."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from opticall_common import topics
from opticall_common.events import (
    ForecastPoint,
    ForecastRequest,
    ForecastResult,
    ForecastStatus,
)
from opticall_common.kafka import EventPublisher
from opticall_forecasting import history_store, job_store
from opticall_forecasting.backtest import as_json, choose_and_forecast
from opticall_forecasting.config import Settings
from opticall_forecasting.db_models import ForecastJob
from opticall_forecasting.fitting import FitSpec
from opticall_forecasting.metrics import JOB_SECONDS, JOBS
from opticall_forecasting.pool import ModelPool
from opticall_forecasting.predict import check_country, rows, spec_from
from opticall_forecasting.series import (
    Series,
    SeriesError,
    future_index,
    infer_freq,
    normalize_freq,
    parse_points,
    to_utc,
)

log = logging.getLogger(__name__)


def stored_series(
    sessions: sessionmaker[Session], request: dict[str, Any], max_points: int
) -> Series:
    """The queue's stored history of one metric (volume = offered, aht = aht_seconds)."""
    start = request.get("start")
    end = request.get("end")
    found = history_store.query(
        sessions,
        request["queue"],
        to_utc(datetime.fromisoformat(start)) if start else None,
        to_utc(datetime.fromisoformat(end)) if end else None,
    )
    column = "aht_seconds" if request.get("metric") == "aht" else "offered"
    pairs = [(r.interval_start, getattr(r, column)) for r in found]
    pairs = [(ts, v) for ts, v in pairs if v is not None][-max_points:]
    if len(pairs) < 2:
        raise SeriesError("queue", f"fewer than 2 stored {column} intervals for this queue")
    ds = pd.DatetimeIndex([ts.astimezone(UTC).replace(tzinfo=None) for ts, _ in pairs])
    return Series(ds=ds, y=np.array([float(v) for _, v in pairs], dtype=np.float64))


def job_spec(
    sessions: sessionmaker[Session], request: dict[str, Any], settings: Settings
) -> FitSpec:
    """Validate a stored job request into a fit spec (raises SeriesError naming the field)."""
    if request.get("history"):
        series = parse_points(request["history"], "history", settings.max_points)
    elif request.get("queue"):
        series = stored_series(sessions, request, settings.max_points)
    else:
        raise SeriesError("queue", "give a queue with stored history, or inline history")
    freq = normalize_freq(request["freq"]) if request.get("freq") else infer_freq(series.ds)
    periods = int(request.get("periods") or 7)
    if periods > settings.max_periods:
        raise SeriesError("periods", f"horizon too large: {periods} > {settings.max_periods}")
    country = check_country(request.get("country")) or settings.default_country
    future = future_index(series.ds[-1], freq, periods)
    return spec_from(series, future, freq, country, settings.uncertainty_samples)


def result_event(job: ForecastJob) -> ForecastResult:
    # Derived from the request id: a re-published result is recognisably the same event.
    acc = {
        k: float(v)
        for k, v in (job.accuracy or {}).items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    return ForecastResult(
        result_id=uuid.uuid5(uuid.NAMESPACE_URL, f"forecast-result:{job.id}").hex,
        request_id=job.id,
        status=ForecastStatus(job.status),
        model=job.model,
        points=[ForecastPoint.model_validate(p) for p in job.points or []],
        accuracy=acc or None,
        error=job.error,
        completed_at=job.completed_at or datetime.now(UTC),
    )


def points_json(spec: FitSpec, outcome_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "ds": r["ds"].isoformat().replace("+00:00", "Z")} for r in outcome_rows]


@dataclass
class JobRunner:
    settings: Settings
    sessions: sessionmaker[Session]
    publisher: EventPublisher
    pool: ModelPool

    async def handle(self, event: ForecastRequest) -> None:
        """Run one request; idempotent (a finished job only re-publishes its result)."""
        await asyncio.to_thread(self._ensure_row, event)
        job = await asyncio.to_thread(job_store.claim, self.sessions, event.request_id)
        if job is None:
            done = await asyncio.to_thread(job_store.get, self.sessions, event.request_id)
            if done is not None:
                await self._publish(done)
            JOBS.labels("duplicate").inc()
            return
        started = time.perf_counter()
        try:
            finished, outcome = await self._run(job)
        except BaseException:
            # BrokenProcessPool, a database error, cancellation at shutdown: the request is
            # not committed, so the job is redone.
            JOBS.labels("interrupted").inc()
            raise
        JOB_SECONDS.labels(outcome).observe(time.perf_counter() - started)
        JOBS.labels(outcome).inc()
        # Stored first, then published: a crash in between re-publishes on redelivery.
        await self._publish(finished)

    async def _run(self, job: ForecastJob) -> tuple[ForecastJob, str]:
        """Fit and store one claimed job; returns the stored job and its outcome."""
        try:
            spec = await asyncio.to_thread(job_spec, self.sessions, job.request, self.settings)
        except SeriesError as exc:
            invalid = await asyncio.to_thread(
                job_store.complete, self.sessions, job.id, status="failed", error=str(exc)
            )
            return invalid, "invalid"
        try:
            outcome = await self.pool.run(
                choose_and_forecast, spec, self.settings.backtest_folds, len(spec.future)
            )
        except BrokenProcessPool:
            raise  # infrastructure, not the data: leave the job to be redone
        except Exception as exc:
            log.exception("forecast job %s failed", job.id)
            failed = await asyncio.to_thread(
                job_store.complete,
                self.sessions,
                job.id,
                status="failed",
                error=f"model fit failed: {type(exc).__name__}",
            )
            return failed, "failed"
        done = await asyncio.to_thread(
            job_store.complete,
            self.sessions,
            job.id,
            status="done",
            model=outcome.model,
            points=points_json(spec, rows(spec, outcome.forecast)),
            accuracy=as_json(outcome),
        )
        return done, "done"

    def _ensure_row(self, event: ForecastRequest) -> None:
        # A request produced by another system has no row yet: the event is the request.
        request = event.model_dump(mode="json", exclude_none=True)
        job_store.create_or_get(
            self.sessions,
            event.request_id,
            request,
            queue=event.queue,
            metric=event.metric.value,
            requested_by=event.requested_by,
        )

    async def _publish(self, job: ForecastJob) -> None:
        await self.publisher.publish(topics.FORECAST_RESULTS, job.id, result_event(job))

    async def requeue_stale(self) -> int:
        """Re-publish requests of jobs nobody has touched for a lease (their worker died)."""
        jobs = await asyncio.to_thread(
            job_store.stale, self.sessions, self.settings.job_lease_seconds
        )
        for job in jobs:
            await asyncio.to_thread(job_store.touch, self.sessions, job.id)
            await self.publisher.publish(topics.FORECAST_REQUESTS, job.id, request_event(job))
        if jobs:
            log.warning("re-queued %d unfinished forecast jobs", len(jobs))
        return len(jobs)


def request_event(job: ForecastJob) -> ForecastRequest:
    data = {k: v for k, v in job.request.items() if k in ForecastRequest.model_fields}
    return ForecastRequest.model_validate({**data, "request_id": job.id})
