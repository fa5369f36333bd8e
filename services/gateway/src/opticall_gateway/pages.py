"""What the gateway answers itself: health, readiness, docs, the whoami and the dashboard."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from starlette.requests import HTTPConnection, Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
)
from starlette.staticfiles import StaticFiles

from opticall_common.metrics import metrics_endpoint
from opticall_common.security import Principal, TokenVerifier, role_dependency
from opticall_gateway.openapi import OpenAPIMerger
from opticall_gateway.state import Gateway

# The dashboard (another issue) drops its built files here: index.html is served at "/",
# everything else under "/static/". Without the folder, "/" points at the docs.
STATIC_DIR = Path(__file__).parent / "static"
CHECK_TIMEOUT = 3.0


def _verifier(conn: HTTPConnection) -> TokenVerifier:
    gw: Gateway = conn.app.state.gateway
    return gw.verifier


CurrentUser = Annotated[Principal, Depends(role_dependency(_verifier))]


class WhoAmI(BaseModel):
    username: str
    roles: list[str]


class Readiness(BaseModel):
    status: str  # "ok" or "unavailable"
    required: list[str]
    checks: dict[str, str]  # check name -> "ok" or why not


async def _check(http: httpx.AsyncClient, url: str, *, jwks: bool = False) -> str:
    try:
        resp = await http.get(url, timeout=CHECK_TIMEOUT)
        resp.raise_for_status()
        if jwks and not resp.json().get("keys"):
            return "JWKS has no keys"
    except (httpx.HTTPError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return "ok"


async def readiness(gw: Gateway) -> tuple[bool, dict[str, str]]:
    """The gateway is ready when it can verify tokens; other upstreams are reported only,
    so one service being down degrades its routes (503) instead of the whole edge."""
    names = ["jwks", *gw.upstreams]
    results = await asyncio.gather(
        _check(gw.http, gw.settings.jwks_url, jwks=True),
        *(_check(gw.http, url + "/healthz") for url in gw.upstreams.values()),
    )
    report = dict(zip(names, results, strict=True))
    return report["jwks"] == "ok" and report["auth"] == "ok", report


def gateway_router(gw: Gateway, app: FastAPI) -> APIRouter:
    router = APIRouter()
    merger = OpenAPIMerger(gw, app.title, app.version)

    @router.get("/healthz", tags=["health"], summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        tags=["health"],
        summary="Readiness: auth and upstreams reachable",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Not ready: a required check failed"}},
    )
    async def readyz() -> JSONResponse:
        ready, report = await readiness(gw)
        body: dict[str, Any] = {
            "status": "ok" if ready else "unavailable",
            "required": ["jwks", "auth"],
            "checks": report,
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    router.add_api_route(
        "/metrics",
        metrics_endpoint,
        methods=["GET"],
        tags=["health"],
        summary="Prometheus metrics (text exposition format)",
        response_class=PlainTextResponse,
    )

    @router.get("/protected", tags=["gateway"], summary="Who am I", response_model=WhoAmI)
    async def protected(principal: CurrentUser) -> WhoAmI:
        # The edge answers this itself on the hot path; this route documents the shape.
        return WhoAmI(username=principal.username, roles=sorted(principal.roles))

    @router.get("/openapi.json", tags=["gateway"], summary="The whole public API as OpenAPI")
    async def openapi() -> JSONResponse:
        own = get_openapi(title=app.title, version=app.version, routes=app.routes)
        return JSONResponse(await merger.document(own))

    @router.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - docs")

    # HTML pages, not API: left out of the OpenAPI document (as in the route table).
    @router.get("/", include_in_schema=False)
    async def index(request: Request) -> Response:
        index_html = STATIC_DIR / "index.html"
        if index_html.is_file():
            return FileResponse(index_html)
        return JSONResponse({"service": "opticall-gateway", "docs": "/docs"})

    return router


def mount_static(app: FastAPI) -> None:
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
