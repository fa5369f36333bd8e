"""``/healthz`` (the process is alive) and ``/readyz`` (its own dependencies answer)."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from starlette.responses import JSONResponse

log = logging.getLogger(__name__)

# A check returns nothing when healthy and raises when not; sync checks run in a thread.
Check = Callable[[], Awaitable[None] | None]


async def _run(check: Check, limit: float) -> str | None:
    try:
        async with asyncio.timeout(limit):
            if inspect.iscoroutinefunction(check):
                await check()
            else:
                await asyncio.to_thread(check)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


def health_router(checks: Callable[[], dict[str, Check]], timeout: float = 3.0) -> APIRouter:
    """``checks`` is called per request so it can see resources created in the lifespan."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: this service's own dependencies answer")
    async def readyz() -> JSONResponse:
        named = checks()
        results = await asyncio.gather(*(_run(c, timeout) for c in named.values()))
        report: dict[str, Any] = {
            name: ("ok" if err is None else err) for name, err in zip(named, results, strict=True)
        }
        ready = all(err is None for err in results)
        if not ready:
            log.warning("not ready: %s", report)
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": report},
            status_code=200 if ready else 503,
        )

    return router
