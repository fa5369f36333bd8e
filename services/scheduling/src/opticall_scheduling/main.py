"""The scheduling service's FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from opticall_common.app import create_service_app
from opticall_common.resources import open_resources
from opticall_scheduling.config import Settings, get_settings
from opticall_scheduling.schedules.api import router as schedules_router
from opticall_scheduling.staffing.api import router as staffing_router


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(
            settings, "opticall-scheduling", database_url=settings.database_url
        ) as res:
            app.state.res = res
            yield

    app = create_service_app(
        "scheduling", settings, lifespan=lifespan, checks=lambda: app.state.res.checks()
    )
    app.include_router(staffing_router)
    app.include_router(schedules_router)
    return app
