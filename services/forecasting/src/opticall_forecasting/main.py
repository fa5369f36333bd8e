"""The forecasting service's FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from opticall_common.app import create_service_app
from opticall_common.resources import open_resources
from opticall_forecasting.config import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(
            settings, "opticall-forecasting", database_url=settings.database_url
        ) as res:
            app.state.res = res
            yield

    app = create_service_app(
        "forecasting", settings, lifespan=lifespan, checks=lambda: app.state.res.checks()
    )
    return app
