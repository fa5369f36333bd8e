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
from opticall_forecasting.config import Settings
from opticall_forecasting.db_models import ForecastJob
from opticall_forecasting.engine import AUTO, as_json, forecast
from opticall_forecasting.fitting import FitSpec
from opticall_forecasting.metrics import JOB_SECONDS, JOBS
from opticall_forecasting.pool import ModelPool
from opticall_forecasting.series import Series, SeriesError, parse_points, to_utc
from opticall_forecasting.specs import (
    Horizon,
    check_model,
    check_open_hours,
    limits_from,
    make_spec,
    rows,
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
) -> tuple[FitSpec, str]:
    """Validate a stored job request into a fit spec and a model name (raises SeriesError
    naming the field). A queue's stored opening hours apply unless the request gives some."""
    if request.get("history"):
        series = parse_points(request["history"], "history", settings.max_points)
    elif request.get("queue"):
        series = stored_series(sessions, request, settings.max_points)
    else:
        raise SeriesError("queue", "give a queue with stored history, or inline history")
    model = check_model(request.get("model") or AUTO)
    raw_hours = request.get("open_hours")
    if raw_hours is None and request.get("queue"):
        raw_hours = history_store.get_open_hours(sessions, request["queue"])
    hours = check_open_hours(raw_hours) if raw_hours is not None else None
    horizon = Horizon(periods=int(request.get("periods") or 7), future=request.get("future"))
    spec, _ = make_spec(
        series, request.get("freq"), horizon, hours, request.get("country"), limits_from(settings)
    )
    return spec, model


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


class PoisonRequest(Exception):
    """A request that crashed the model process on every allowed attempt."""


def poison_reason(attempts: int) -> str:
    return (
        f"the model process crashed on this request {attempts} times (BrokenProcessPool); "
        "the request was dead-lettered to forecast-requests.dlq"
    )


@dataclass
class JobRunner:
    settings: Settings
    sessions: sessionmaker[Session]
    publisher: EventPublisher
    pool: ModelPool

    async def handle(self, event: ForecastRequest) -> None:
        """Run one request; idempotent (a finished job only re-publishes its result).

        A request whose fit kills the model process (``BrokenProcessPool``) is tried again, up
        to ``max_attempts`` claims in all (counted in the job row, so a service restart does
        not reset them); then ``PoisonRequest`` is raised for the worker to dead-letter it and
        call ``fail_poison``.
        """
        await asyncio.to_thread(self._ensure_row, event)
        while True:
            job = await asyncio.to_thread(job_store.claim, self.sessions, event.request_id)
            if job is None:
                done = await asyncio.to_thread(job_store.get, self.sessions, event.request_id)
                if done is not None:
                    await self._publish(done)
                JOBS.labels("duplicate").inc()
                return
            if job.attempts > self.settings.max_attempts:
                # Dead-lettered before a crash left the job unfinished: finish it now.
                raise PoisonRequest(poison_reason(job.attempts - 1))
            started = time.perf_counter()
            try:
                finished, outcome = await self._run(job)
            except BrokenProcessPool as exc:
                JOBS.labels("interrupted").inc()
                if job.attempts >= self.settings.max_attempts:
                    raise PoisonRequest(poison_reason(job.attempts)) from exc
                log.warning(
                    "forecast job %s: attempt %d crashed the model process, retrying",
                    job.id,
                    job.attempts,
                )
                continue
            except BaseException:
                # A database error, cancellation at shutdown: the request is not committed,
                # so the job is redone.
                JOBS.labels("interrupted").inc()
                raise
            JOB_SECONDS.labels(outcome).observe(time.perf_counter() - started)
            JOBS.labels(outcome).inc()
            # Stored first, then published: a crash in between re-publishes on redelivery.
            await self._publish(finished)
            return

    async def fail_poison(self, event: ForecastRequest, reason: str) -> None:
        """Mark a dead-lettered request's job failed with the reason, and publish that."""
        failed = await asyncio.to_thread(
            job_store.complete, self.sessions, event.request_id, status="failed", error=reason
        )
        JOBS.labels("dead_lettered").inc()
        await self._publish(failed)

    async def _run(self, job: ForecastJob) -> tuple[ForecastJob, str]:
        """Fit and store one claimed job; returns the stored job and its outcome."""
        try:
            spec, model = await asyncio.to_thread(
                job_spec, self.sessions, job.request, self.settings
            )
        except SeriesError as exc:
            invalid = await asyncio.to_thread(
                job_store.complete, self.sessions, job.id, status="failed", error=str(exc)
            )
            return invalid, "invalid"
        try:
            outcome = await self.pool.run(
                forecast,
                spec,
                model,
                self.settings.backtest_folds,
                extra=self.settings.job_extra_candidates,
            )
        except BrokenProcessPool:
            raise  # the handler counts it against the request's attempts
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
