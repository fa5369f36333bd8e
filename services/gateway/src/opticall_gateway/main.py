"""The gateway's app: the edge (routing, auth, proxy) in front of the gateway's own pages."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from opticall_common.app import ORJSONResponse
from opticall_common.logging import configure_logging
from opticall_common.metrics import MetricsMiddleware, metrics_endpoint
from opticall_common.problems import install_problem_handlers
from opticall_gateway.config import Settings, get_settings
from opticall_gateway.edge import Edge
from opticall_gateway.pages import gateway_router, mount_static
from opticall_gateway.state import Gateway


def create_app(
    settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    settings = settings or get_settings()
    configure_logging("gateway", settings.log_level, settings.log_json)
    # httpx logs every request at INFO: on the proxy's hot path that is a log line per call.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    gw = Gateway(settings, transport=transport)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with gw.running():
            yield

    app = FastAPI(
        title="OptiCall API",
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=ORJSONResponse,
        # Served by pages.py instead: the document merges every upstream service's.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.gateway = gw
    install_problem_handlers(app)
    app.include_router(gateway_router(gw, app))
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    mount_static(app)
    # Added last = outermost: metrics see every answer, CORS preflights never reach the edge.
    app.add_middleware(Edge, gateway=gw)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(MetricsMiddleware, service="gateway")
    return app
