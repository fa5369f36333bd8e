"""Forecast job rows: creation (idempotent by request id), claiming, results, listing.

The row is the job's state machine: pending -> running -> done | failed. A worker that dies
while a job is running leaves it ``running``; the redelivered request (its offset was never
committed) claims it again, and the start-up sweep re-queues any that nobody touched for a
lease period.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from opticall_common.db import transaction
from opticall_common.events import utcnow
from opticall_forecasting.db_models import ForecastJob

UNFINISHED = ("pending", "running")


def create_or_get(
    sessions: sessionmaker[Session],
    job_id: str,
    request: dict[str, Any],
    *,
    queue: str | None,
    metric: str,
    requested_by: str | None,
) -> tuple[ForecastJob, bool]:
    """The job with this id, created now if new; the flag says whether it was created."""
    try:
        with transaction(sessions) as session:
            now = utcnow()
            job = ForecastJob(
                id=job_id,
                status="pending",
                queue=queue,
                metric=metric,
                request=request,
                attempts=0,
                requested_by=requested_by,
                created_at=now,
                updated_at=now,
            )
            session.add(job)
        return job, True
    except IntegrityError:
        existing = get(sessions, job_id)
        if existing is None:  # pragma: no cover - deleted between insert and read
            raise
        return existing, False


def get(sessions: sessionmaker[Session], job_id: str) -> ForecastJob | None:
    with sessions() as session:
        return session.get(ForecastJob, job_id)


def recent(
    sessions: sessionmaker[Session], limit: int, status: str | None, queue: str | None
) -> list[ForecastJob]:
    stmt = select(ForecastJob).order_by(ForecastJob.created_at.desc()).limit(limit)
    if status:
        stmt = stmt.where(ForecastJob.status == status)
    if queue:
        stmt = stmt.where(ForecastJob.queue == queue)
    with sessions() as session:
        return list(session.scalars(stmt))


def claim(sessions: sessionmaker[Session], job_id: str) -> ForecastJob | None:
    """Mark the job running (one more attempt); None if it is already finished."""
    with transaction(sessions) as session:
        job = session.get(ForecastJob, job_id, with_for_update=True)
        if job is None or job.status not in UNFINISHED:
            return None
        job.status = "running"
        job.attempts += 1
        job.updated_at = utcnow()
        return job


def complete(
    sessions: sessionmaker[Session],
    job_id: str,
    *,
    status: str,
    model: str | None = None,
    points: list[dict[str, Any]] | None = None,
    accuracy: dict[str, Any] | None = None,
    error: str | None = None,
) -> ForecastJob:
    with transaction(sessions) as session:
        job = session.get(ForecastJob, job_id, with_for_update=True)
        assert job is not None
        now = utcnow()
        job.status, job.model, job.points = status, model, points
        job.accuracy, job.error = accuracy, error
        job.updated_at = job.completed_at = now
        return job


def stale(sessions: sessionmaker[Session], lease_seconds: int) -> list[ForecastJob]:
    cutoff: datetime = utcnow() - timedelta(seconds=lease_seconds)
    stmt = (
        select(ForecastJob)
        .where(ForecastJob.status.in_(UNFINISHED), ForecastJob.updated_at < cutoff)
        .order_by(ForecastJob.created_at)
        .limit(1000)
    )
    with sessions() as session:
        return list(session.scalars(stmt))


def touch(sessions: sessionmaker[Session], job_id: str) -> None:
    with transaction(sessions) as session:
        job = session.get(ForecastJob, job_id)
        if job is not None and job.status in UNFINISHED:
            job.updated_at = utcnow()


def done_for_queue(sessions: sessionmaker[Session], queue: str, metric: str) -> list[ForecastJob]:
    """Finished forecasts of a queue's metric, newest first (at most 500)."""
    stmt = (
        select(ForecastJob)
        .where(
            ForecastJob.queue == queue,
            ForecastJob.metric == metric,
            ForecastJob.status == "done",
        )
        .order_by(ForecastJob.created_at.desc())
        .limit(500)
    )
    with sessions() as session:
        return list(session.scalars(stmt))
