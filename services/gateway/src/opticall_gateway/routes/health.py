"""``/healthz`` and ``/readyz``: liveness, and whether the gateway can verify tokens."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import APIRouter
from pydantic import BaseModel
from starlette.responses import JSONResponse

from opticall_gateway.deps import RuntimeDep
from opticall_gateway.runtime import Runtime

router = APIRouter(tags=["health"])
CHECK_TIMEOUT = 3.0


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


async def readiness(rt: Runtime) -> tuple[bool, dict[str, str]]:
    """The gateway is ready when it can verify tokens; other upstreams are reported only,
    so one service being down degrades its routes (503) instead of the whole edge."""
    names = ["jwks", *rt.upstreams]
    results = await asyncio.gather(
        _check(rt.http, rt.settings.jwks_url, jwks=True),
        *(_check(rt.http, url + "/healthz") for url in rt.upstreams.values()),
    )
    report = dict(zip(names, results, strict=True))
    return report["jwks"] == "ok" and report["auth"] == "ok", report


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: auth and upstreams reachable",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready: a required check failed"}},
)
async def readyz(rt: RuntimeDep) -> JSONResponse:
    ready, report = await readiness(rt)
    body: dict[str, Any] = {
        "status": "ok" if ready else "unavailable",
        "required": ["jwks", "auth"],
        "checks": report,
    }
    return JSONResponse(body, status_code=200 if ready else 503)
