"""The forecasting service's FastAPI app: predictions, forecast jobs, history and reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from opticall_common.app import create_service_app
from opticall_forecasting.config import Settings, get_settings
from opticall_forecasting.routes import forecasts, history, predict, reports
from opticall_forecasting.runtime import open_runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings) as runtime:
            app.state.runtime = runtime
            yield

    app = create_service_app(
        "forecasting",
        settings,
        lifespan=lifespan,
        checks=lambda: app.state.runtime.resources.checks(),
        description="Forecasts (Prophet and peers), forecast jobs, interval history, reports.",
    )
    for module in (predict, forecasts, history, reports):
        app.include_router(module.router)
    return app
