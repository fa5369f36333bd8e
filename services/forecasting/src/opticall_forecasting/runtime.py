"""The forecasting service's runtime: everything its lifespan opens, in one typed object.

``open_runtime(settings)`` wires it (database, Kafka, topics, the model pool, the
``forecast-requests`` worker) and closes it in reverse; the lifespan, the benchmarks and the
tests all use it, so there is one wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from opticall_common import topics
from opticall_common.db import run_migrations
from opticall_common.kafka import EventPublisher, ensure_topics
from opticall_common.resources import Resources, open_resources
from opticall_forecasting.config import Settings
from opticall_forecasting.jobs import JobRunner
from opticall_forecasting.metrics import init_metrics
from opticall_forecasting.pool import ModelPool
from opticall_forecasting.worker import run_worker

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_forecasting"


@dataclass
class Runtime:
    settings: Settings
    resources: Resources
    sessions: sessionmaker[Session]
    publisher: EventPublisher
    pool: ModelPool
    worker: asyncio.Task[None] | None = None


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    init_metrics()
    async with open_resources(
        settings, "opticall-forecasting", database_url=settings.database_url
    ) as res:
        assert res.sessions is not None and res.publisher is not None
        if settings.run_migrations:
            await asyncio.to_thread(
                run_migrations, MIGRATIONS, settings.database_url, VERSION_TABLE
            )
        await ensure_topics(
            settings.kafka_bootstrap_servers,
            [
                topics.topic(name, settings.kafka_topic_prefix)
                for name in (topics.FORECAST_REQUESTS, topics.FORECAST_RESULTS)
            ],
            replication_factor=settings.kafka_replication_factor,
        )
        pool = ModelPool(settings.pool_size, settings.warm_statsforecast)
        res.extra_checks["model_pool"] = pool.check
        await pool.start()
        runtime = Runtime(settings, res, res.sessions, res.publisher, pool)
        if settings.worker_enabled:
            runner = JobRunner(settings, res.sessions, res.publisher, pool)
            runtime.worker = asyncio.create_task(run_worker(runner), name="forecast-worker")
        try:
            yield runtime
        finally:
            if runtime.worker is not None:
                runtime.worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await runtime.worker
            pool.stop()
