"""The scheduling service's FastAPI app: agents, shifts, staffing, schedules, time off, trades,
calendar feeds; the outbox relay publishes what they commit."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from sqlalchemy.exc import OperationalError

from opticall_common.app import create_service_app
from opticall_common.problems import problem_response
from opticall_scheduling.config import Settings, get_settings
from opticall_scheduling.routes import ROUTERS
from opticall_scheduling.runtime import open_runtime

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
        async with open_runtime(settings) as runtime:
            app.state.runtime = runtime
            yield

    app = create_service_app(
        "scheduling",
        settings,
        lifespan=lifespan,
        checks=lambda: app.state.runtime.res.checks(),
    )
    app.add_exception_handler(OperationalError, _database_unavailable)
    for router in ROUTERS:
        app.include_router(router)
    return app
