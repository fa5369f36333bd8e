"""Every service starts, is ready against its real dependencies, and exposes metrics."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.suite import Suite

SERVICES = ("gateway", "auth", "scheduling", "forecasting", "realtime")


@pytest.mark.parametrize("service", SERVICES)
def test_service_is_ready_with_real_dependencies(suite: Suite, service: str) -> None:
    resp = httpx.get(suite.stack.url(service) + "/readyz", timeout=10)
    assert resp.status_code == 200, resp.text
    checks = resp.json()["checks"]
    if service != "gateway":
        assert checks.get("database") == "ok"
    if service not in ("gateway", "auth"):  # auth publishes no events: it needs no Kafka
        assert checks.get("kafka") == "ok"


@pytest.mark.parametrize("service", SERVICES)
def test_service_exposes_prometheus_metrics(suite: Suite, service: str) -> None:
    httpx.get(suite.stack.url(service) + "/healthz", timeout=10)
    resp = httpx.get(suite.metrics_url(service), timeout=10)
    assert resp.status_code == 200
    assert "opticall_http_requests_total" in resp.text
    assert 'route="/healthz"' in resp.text
