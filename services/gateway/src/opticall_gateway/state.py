"""What the gateway holds for its lifetime: the route table, one HTTP pool, the verifier."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from opticall_common.security import TokenVerifier
from opticall_gateway.config import Settings
from opticall_gateway.metrics import UpstreamMetrics
from opticall_gateway.routes import RouteTable


class Gateway:
    """Created by the app factory; its HTTP pool opens and closes with the app's lifespan."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self.table = RouteTable()
        self.upstreams = settings.upstream_urls()
        self.metrics = UpstreamMetrics()
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._verifier: TokenVerifier | None = None

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
        # One pool for the process, HTTP/1.1 keep-alive to every upstream. Idle connections
        # expire before uvicorn's 5 s keep-alive would close them under us mid-request.
        self._http = httpx.AsyncClient(
            transport=self._transport,
            timeout=httpx.Timeout(s.upstream_timeout, connect=s.upstream_connect_timeout),
            limits=httpx.Limits(
                max_connections=s.upstream_max_connections,
                max_keepalive_connections=s.upstream_max_connections,
                keepalive_expiry=4.0,
            ),
            follow_redirects=False,
            trust_env=False,
        )
        self._verifier = TokenVerifier(s.jwks_url, s.jwt_issuer, s.jwt_audience, http=self._http)
        try:
            yield self
        finally:
            await self._http.aclose()
            self._http = None
