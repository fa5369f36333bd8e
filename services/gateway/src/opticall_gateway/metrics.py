"""Gateway-specific Prometheus metrics: what the upstream services answered and how fast."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess, start_http_server

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


def serve_metrics(host: str, port: int, workers: int) -> None:
    """``/metrics`` on its own port, in a thread of this process (from ``__main__``).

    Not on the public port: the ingress routes everything there, and the metrics name every
    route and upstream. With several uvicorn workers each worker writes its samples to a
    shared directory (prometheus_client's multiprocess mode, set up here before the workers
    start) and this process, their parent, serves the sum, so a scrape sees every worker.
    """
    if workers <= 1:
        start_http_server(port, host)
        return
    directory = tempfile.mkdtemp(prefix="opticall-gateway-metrics-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    # Read by prometheus_client when each worker imports it (workers are spawned afresh).
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    start_http_server(port, host, registry=registry)
