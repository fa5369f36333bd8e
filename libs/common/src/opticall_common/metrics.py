"""Prometheus metrics shared by every service, and the HTTP middleware that records them."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_REQUESTS = Counter(
    "opticall_http_requests_total",
    "HTTP requests handled",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "opticall_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
EVENTS_PUBLISHED = Counter("opticall_events_published_total", "Events published", ["topic"])
EVENTS_CONSUMED = Counter("opticall_events_consumed_total", "Events consumed", ["topic"])
DLQ_RECORDS = Counter(
    "opticall_dlq_records_total", "Malformed records sent to a dead-letter topic", ["topic"]
)


def _route_of(scope: Scope) -> str:
    # The route template, not the raw path, so ids do not explode label cardinality. FastAPI's
    # router leaves the matched route in the (shared) scope, so this costs no second match.
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


class MetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware) so it adds no task per request on the hot path."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            key = (scope["method"], _route_of(scope), status)
            children = self._children.get(key)
            if children is None:
                # labels() hashes and locks on every call; cache the children per label set.
                children = self._children[key] = (
                    HTTP_REQUESTS.labels(self.service, key[0], key[1], str(status)),
                    HTTP_LATENCY.labels(self.service, key[0], key[1]),
                )
            children[0].inc()
            children[1].observe(time.perf_counter() - start)


async def metrics_endpoint(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
