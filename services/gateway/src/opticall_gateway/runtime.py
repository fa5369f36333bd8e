"""What the gateway holds while it runs, built by ``open_runtime`` in the app's lifespan.

Two HTTP clients, both opened and closed with the runtime:
- ``session`` (aiohttp) forwards every proxied request (proxy.py): pooled keep-alive
  connections, framed by aiohttp from the body actually sent. (The bench measured
  httpx/httpcore at 4-7x aiohttp's CPU per request.)
- ``http`` (httpx) makes the low-volume control-plane calls: the JWKS (``TokenVerifier``
  takes an httpx client), readiness checks and upstream OpenAPI documents.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
from aiohttp.connector import Connection

from opticall_common.security import TokenVerifier
from opticall_gateway.config import Settings
from opticall_gateway.metrics import UpstreamMetrics
from opticall_gateway.openapi import OpenAPIMerger
from opticall_gateway.route_table import RouteTable
from opticall_gateway.sockets import SocketCounter

# Idle upstream connections are dropped before uvicorn's 5 s keep-alive closes them under us.
KEEPALIVE_SECONDS = 4.0


@dataclass
class Runtime:
    settings: Settings
    session: aiohttp.ClientSession
    http: httpx.AsyncClient
    verifier: TokenVerifier
    table: RouteTable = field(default_factory=RouteTable)
    metrics: UpstreamMetrics = field(default_factory=UpstreamMetrics)
    sockets: SocketCounter = field(default_factory=SocketCounter)
    # Read on every proxied request: computed once.
    upstreams: dict[str, str] = field(init=False)
    forwarded_secret: bytes = field(init=False)
    openapi: OpenAPIMerger = field(init=False)

    def __post_init__(self) -> None:
        self.upstreams = self.settings.upstream_urls()
        self.forwarded_secret = self.settings.forwarded_secret_bytes
        self.openapi = OpenAPIMerger(
            self.http, self.upstreams, self.table, self.settings.openapi_cache_seconds
        )


class InStepConnector(aiohttp.TCPConnector):
    """aiohttp's pool, never handing out a connection that is out of step with its upstream.

    aiohttp closes a connection whose answer was not read whole when it is released, but a
    pooled idle connection that then receives bytes nobody asked for (a second answer, a
    misbehaving or compromised upstream) stays in the pool with that answer buffered, and the
    next request would read it as its own: one client's answer served to another. Such a
    connection is closed here instead of reused. (Overrides aiohttp's ``_get``, the one place
    a pooled connection is picked; uv.lock pins aiohttp, test_proxy checks the behaviour.)
    """

    async def _get(self, key: Any, traces: list[Any]) -> Connection | None:
        while True:
            conn = await super()._get(key, traces)
            protocol = conn.protocol if conn is not None else None
            if conn is None or protocol is None or not protocol.should_close:
                return conn
            conn.close()  # released with should_close: the transport is closed


def upstream_session(settings: Settings) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=InStepConnector(
            limit=0,  # the per-service limit below is the one that matters
            limit_per_host=settings.upstream_max_connections,
            keepalive_timeout=KEEPALIVE_SECONDS,
        ),
        timeout=aiohttp.ClientTimeout(
            total=None,
            connect=settings.upstream_connect_timeout,
            sock_read=settings.upstream_timeout,
        ),
        # Bytes pass through untouched: no decompression, no cookies, no redirects, no
        # added headers (proxy.auto_headers_to_skip, per request).
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
    )


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The gateway's clients and verifier, closed when the block ends."""
    session = upstream_session(settings)
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(10.0, connect=settings.upstream_connect_timeout),
        limits=httpx.Limits(max_connections=20, keepalive_expiry=KEEPALIVE_SECONDS),
        trust_env=False,
    )
    verifier = TokenVerifier.from_settings(settings, http=http)
    verifier.start()  # polls auth's revocation list (opticall_common.revocations)
    try:
        yield Runtime(settings=settings, session=session, http=http, verifier=verifier)
    finally:
        await verifier.stop()
        await session.close()
        await http.aclose()
