"""Gateway-specific Prometheus metrics: what the upstream services answered and how fast."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

UPSTREAM_REQUESTS = Counter(
    "opticall_gateway_upstream_requests_total",
    "Requests the gateway forwarded, by upstream service and its status (or error/timeout)",
    ["service", "status"],
)
UPSTREAM_LATENCY = Histogram(
    "opticall_gateway_upstream_request_duration_seconds",
    "Time from forwarding a request to the upstream's response headers",
    ["service"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class UpstreamMetrics:
    """Caches labelled children: ``labels()`` costs a lock and a dict build on every call."""

    def __init__(self) -> None:
        self._counters: dict[tuple[str, str], Counter] = {}
        self._latency: dict[str, Histogram] = {}

    def observe(self, service: str, status: str, seconds: float | None) -> None:
        key = (service, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = UPSTREAM_REQUESTS.labels(service, status)
        counter.inc()
        if seconds is not None:
            hist = self._latency.get(service)
            if hist is None:
                hist = self._latency[service] = UPSTREAM_LATENCY.labels(service)
            hist.observe(seconds)
