"""What the gateway holds for its lifetime: the route table, the upstream pools, the verifier.

Three kinds of pools, all opened and closed with the app's lifespan:
- ``pools`` (``upstream.UpstreamPool``, one per service) forward proxied requests: the
  gateway's hot path, on httptools' parser (see upstream.py for why not aiohttp).
- ``session`` (aiohttp) forwards what the lean client leaves out: streamed uploads and
  ``HEAD``. (The bench measured httpx/httpcore at 4-7x aiohttp's CPU per request.)
- ``http`` (httpx) makes the low-volume control-plane calls: the JWKS (``TokenVerifier``
  takes an httpx client), readiness checks and upstream OpenAPI documents.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import httpx

from opticall_common.security import TokenVerifier
from opticall_gateway.config import Settings
from opticall_gateway.metrics import UpstreamMetrics
from opticall_gateway.routes import RouteTable
from opticall_gateway.upstream import UpstreamPool

# Idle upstream connections are dropped before uvicorn's 5 s keep-alive closes them under us.
KEEPALIVE_SECONDS = 4.0


class Gateway:
    """Created by the app factory; its pools open and close with the app's lifespan."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.table = RouteTable()
        self.upstreams = settings.upstream_urls()
        self.metrics = UpstreamMetrics()
        self._session: aiohttp.ClientSession | None = None
        self._pools: dict[str, UpstreamPool] | None = None
        self._http: httpx.AsyncClient | None = None
        self._verifier: TokenVerifier | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the gateway's lifespan has not started")
        return self._session

    @property
    def pools(self) -> dict[str, UpstreamPool]:
        if self._pools is None:
            raise RuntimeError("the gateway's lifespan has not started")
        return self._pools

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("the gateway's lifespan has not started")
        return self._http

    @property
    def verifier(self) -> TokenVerifier:
        if self._verifier is None:
            raise RuntimeError("the gateway's lifespan has not started")
        return self._verifier

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Gateway]:
        s = self.settings
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=s.upstream_max_connections,
                keepalive_timeout=KEEPALIVE_SECONDS,
            ),
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=s.upstream_connect_timeout,
                sock_read=s.upstream_timeout,
            ),
            # Bytes pass through untouched: no decompression, no cookies, no redirects, no
            # added headers (proxy.auto_headers_to_skip, per request).
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )
        self._pools = {
            name: UpstreamPool(
                url,
                limit=s.upstream_max_connections,
                connect_timeout=s.upstream_connect_timeout,
                read_timeout=s.upstream_timeout,
                keepalive=KEEPALIVE_SECONDS,
            )
            for name, url in self.upstreams.items()
        }
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(10.0, connect=s.upstream_connect_timeout),
            limits=httpx.Limits(max_connections=20, keepalive_expiry=KEEPALIVE_SECONDS),
            trust_env=False,
        )
        self._verifier = TokenVerifier.from_settings(s, http=self._http)
        self._verifier.start()  # polls auth's revocation list (opticall_common.revocations)
        try:
            yield self
        finally:
            await self._verifier.stop()
            await self._session.close()
            for pool in self._pools.values():
                pool.close()
            await self._http.aclose()
            self._session = None
            self._pools = None
            self._http = None
