"""The scheduling service's FastAPI app: agents, shifts, staffing, schedules, outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI, Request, Response
from sqlalchemy.exc import OperationalError

from opticall_common.app import create_service_app
from opticall_common.db import make_engine, make_sessionmaker, run_migrations
from opticall_common.problems import problem_response
from opticall_common.resources import open_resources
from opticall_scheduling.agents.api import router as agents_router
from opticall_scheduling.config import Settings, get_settings
from opticall_scheduling.database import MIGRATIONS, VERSION_TABLE, use_immediate_transactions
from opticall_scheduling.outbox.relay import OutboxRelay
from opticall_scheduling.outbox.writer import wake_on_commit
from opticall_scheduling.schedules.api import router as schedules_router
from opticall_scheduling.shifts.api import router as shifts_router
from opticall_scheduling.shifts.fast import make_fast_engine
from opticall_scheduling.shifts.service import MAX_LENGTH_INFO
from opticall_scheduling.staffing.api import router as staffing_router

log = logging.getLogger(__name__)


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    # A lost or refused database connection is an outage, not a bug: 503 invites a retry.
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(
        503, "the database is unavailable; try again shortly", instance=request.url.path
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.run_migrations:
            await asyncio.to_thread(
                run_migrations, MIGRATIONS, settings.database_url, VERSION_TABLE
            )
        # Kafka is the relay's own business (kafka=False): the service must start and serve
        # while Kafka is down, and the relay reconnects on its own.
        async with open_resources(settings, "opticall-scheduling", kafka=False) as res:
            # The engine is made here rather than by open_resources for its pool size; the
            # resources still report it in /readyz and dispose of it on the way out.
            res.engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
            res.sessions = make_sessionmaker(res.engine)
            use_immediate_transactions(res.engine)
            res.sessions.configure(info={MAX_LENGTH_INFO: settings.max_shift_length})
            relay = OutboxRelay(
                res.engine,
                settings.kafka_bootstrap_servers,
                prefix=settings.kafka_topic_prefix,
                poll_seconds=settings.outbox_poll_seconds,
                batch_size=settings.outbox_batch_size,
                max_backoff_seconds=settings.outbox_max_backoff_seconds,
                retention=timedelta(hours=settings.outbox_retention_hours),
                replication_factor=settings.kafka_replication_factor,
                coalesce_seconds=settings.outbox_coalesce_seconds,
            )
            wake_on_commit(res.sessions, relay.notify)
            res.extra_checks["kafka"] = relay.check_kafka
            app.state.res = res
            app.state.relay = relay
            app.state.fast_engine = make_fast_engine(
                settings.database_url, pool_size=settings.db_pool_size
            )
            task = asyncio.create_task(relay.run(), name="outbox-relay")
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                await relay.close()
                if app.state.fast_engine is not None:
                    app.state.fast_engine.dispose()

    app = create_service_app(
        "scheduling", settings, lifespan=lifespan, checks=lambda: app.state.res.checks()
    )
    app.state.settings = settings
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.include_router(agents_router)
    app.include_router(shifts_router)
    app.include_router(staffing_router)
    app.include_router(schedules_router)
    return app
