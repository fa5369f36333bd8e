"""The shape every OptiCall service's FastAPI app shares: problems, metrics, health, logging."""

from __future__ import annotations

from collections.abc import Callable

import orjson
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Lifespan, Message, Receive, Scope, Send

from opticall_common.health import Check, health_router
from opticall_common.logging import configure_logging
from opticall_common.metrics import MetricsMiddleware, metrics_endpoint
from opticall_common.problems import install_problem_handlers
from opticall_common.settings import ServiceSettings


class ORJSONResponse(JSONResponse):
    """JSON via orjson: several times faster than the stdlib on large lists (shifts, states)."""

    def render(self, content: object) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z)


class HeadAsGet:
    """``HEAD`` answered as ``GET`` without the body (RFC 9110, section 9.3.2).

    FastAPI, unlike Starlette, routes ``HEAD`` to no ``GET`` route (405), while a client, a
    probe or the gateway's route table expect ``HEAD`` wherever ``GET`` is. The answer keeps
    the ``GET``'s status and headers (Content-Length included); its body is dropped here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def create_service_app(
    name: str,
    settings: ServiceSettings,
    *,
    lifespan: Lifespan[FastAPI] | None,
    checks: Callable[[], dict[str, Check]],
    title: str | None = None,
    description: str = "",
) -> FastAPI:
    configure_logging(name, settings.log_level, settings.log_json)
    app = FastAPI(
        title=title or f"OptiCall {name}",
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=ORJSONResponse,
    )
    install_problem_handlers(app)
    app.add_middleware(MetricsMiddleware, service=name)
    app.add_middleware(HeadAsGet)
    app.include_router(health_router(checks))
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    return app
