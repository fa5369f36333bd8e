"""The auth service's FastAPI app: users, roles, tokens, JWKS and login throttling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from opticall_auth import routes
from opticall_auth.config import Settings, get_settings
from opticall_auth.runtime import MIGRATIONS, VERSION_TABLE, open_runtime
from opticall_common.app import create_service_app

__all__ = ["MIGRATIONS", "VERSION_TABLE", "create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings) as rt:
            app.state.runtime = rt
            yield

    app = create_service_app(
        "auth",
        settings,
        lifespan=lifespan,
        checks=lambda: app.state.runtime.checks(),
        description="Users, roles, argon2id passwords, JWT issue/refresh/revoke and the JWKS.",
    )
    app.include_router(routes.router())
    return app
