"""Every metric that a Grafana dashboard or an alert rule names is exported by a running
service: scraped from the five services' /metrics in the integration suite."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.manifests import EXTERNAL_METRICS, SERVICES, all_metric_names
from tests.integration.suite import Suite

# The series names each metric type exposes (OpenMetrics/Prometheus text format).
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
    "stateset": ("",),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    "unknown": ("",),
}


def exported_series(text: str) -> set[str]:
    """Series names a scrape can yield, including families that have no sample yet (a
    labelled counter nobody incremented still has its HELP/TYPE lines)."""
    names = set()
    for family in text_string_to_metric_families(text):
        names |= {family.name + s for s in SUFFIXES[family.type]}
        names |= {sample.name for sample in family.samples}
    return names


def test_dashboards_and_rules_name_only_exported_metrics(suite: Suite) -> None:
    exported: dict[str, set[str]] = {}
    with httpx.Client(timeout=10) as client:
        for service in SERVICES:
            resp = client.get(suite.metrics_url(service))
            assert resp.status_code == 200, f"{service}: {resp.status_code}"
            exported[service] = exported_series(resp.text)
    everywhere = set().union(*exported.values())
    wanted = all_metric_names()
    missing = sorted(wanted - everywhere - EXTERNAL_METRICS)
    assert missing == [], f"named by dashboards/rules but exported by no service: {missing}"
    # The allow-list only holds what really comes from elsewhere.
    assert not (EXTERNAL_METRICS & everywhere)
    # Each service exports the common HTTP metrics the per-service panels rely on.
    for service, names in exported.items():
        assert "opticall_http_requests_total" in names, service
        assert "opticall_http_request_duration_seconds_bucket" in names, service
