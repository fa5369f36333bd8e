"""The forecasting service's FastAPI app: predictions, forecast jobs, history and reports."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from opticall_common import topics
from opticall_common.app import create_service_app
from opticall_common.db import run_migrations
from opticall_common.kafka import ensure_topics
from opticall_common.resources import open_resources
from opticall_forecasting.api import forecasts, history, predict, reports
from opticall_forecasting.config import Settings, get_settings
from opticall_forecasting.jobs import JobRunner
from opticall_forecasting.metrics import init_metrics
from opticall_forecasting.pool import ModelPool
from opticall_forecasting.worker import run_worker

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_forecasting"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        init_metrics()
        async with open_resources(
            settings, "opticall-forecasting", database_url=settings.database_url
        ) as res:
            assert res.sessions is not None and res.publisher is not None
            app.state.res = res
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
            app.state.pool = pool
            res.extra_checks["model_pool"] = pool.check
            await pool.start()
            worker: asyncio.Task[None] | None = None
            if settings.worker_enabled:
                runner = JobRunner(settings, res.sessions, res.publisher, pool)
                worker = asyncio.create_task(run_worker(runner), name="forecast-worker")
            try:
                yield
            finally:
                if worker is not None:
                    worker.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker
                pool.stop()

    app = create_service_app(
        "forecasting",
        settings,
        lifespan=lifespan,
        checks=lambda: app.state.res.checks(),
        description="Forecasts (Prophet and peers), forecast jobs, interval history, reports.",
    )
    for module in (predict, forecasts, history, reports):
        app.include_router(module.router)
    return app
