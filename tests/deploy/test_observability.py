"""Alert rules, Grafana dashboards and the compose Prometheus config: every PromQL query parses
(promql-parser, the Rust PromQL parser), alerts cover what issue 9 asks for, dashboards are
loadable and point at the provisioned datasource, compose scrapes the five services."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.deploy.manifests import (
    DASHBOARDS,
    DEPLOY,
    PORTS,
    ROOT,
    RULES,
    SERVICES,
    dashboard_exprs,
    metric_names,
    rule_exprs,
)

DATASOURCE = yaml.safe_load(
    (DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text()
)


def test_every_rule_and_dashboard_query_parses() -> None:
    exprs = [*rule_exprs(), *dashboard_exprs()]
    assert len(exprs) > 20
    errors = []
    for where, expr in exprs:
        try:
            metric_names(expr)
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
    assert errors == []


def test_the_parser_rejects_bad_promql() -> None:
    with pytest.raises(ValueError):
        metric_names("sum(rate(opticall_http_requests_total[5m])")


def test_alerts_cover_lag_dead_letters_errors_and_latency() -> None:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    alerts = {r["alert"]: r for g in groups for r in g["rules"]}
    by_metric: dict[str, list[str]] = {}
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert rule["for"]
        for metric in metric_names(rule["expr"]):
            by_metric.setdefault(metric, []).append(name)
    assert "kafka_consumergroup_lag" in by_metric
    assert "opticall_dlq_records_total" in by_metric
    assert any(
        'status=~"5.."' in alerts[a]["expr"] for a in by_metric["opticall_http_requests_total"]
    )
    assert "opticall_http_request_duration_seconds_bucket" in by_metric


def test_latency_objectives_name_real_bucket_bounds() -> None:
    # prometheus_client writes le="1.0", not le="1": a wrong bound matches no series at all.
    from opticall_common.metrics import HTTP_LATENCY

    bounds = {str(float(b)) for b in HTTP_LATENCY._upper_bounds}
    for _, expr in rule_exprs():
        for part in expr.split('le="')[1:]:
            assert part.split('"')[0] in bounds


def test_dashboards_are_loadable_and_use_the_provisioned_datasource() -> None:
    uid = DATASOURCE["datasources"][0]["uid"]
    boards = sorted(DASHBOARDS.glob("*.json"))
    assert {b.stem for b in boards} >= {
        "opticall-services",
        "opticall-kafka",
        "opticall-realtime",
        "opticall-forecasting",
    }
    uids = set()
    for path in boards:
        board: dict[str, Any] = json.loads(path.read_text())
        assert board["uid"] not in uids
        uids.add(board["uid"])
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate panel ids"
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == uid
            assert panel["targets"], f"{path.name}: {panel['title']} has no query"
            refs = [t["refId"] for t in panel["targets"]]
            assert len(refs) == len(set(refs))
            assert {"h", "w", "x", "y"} <= set(panel["gridPos"])


def test_grafana_provisioning_points_at_the_mounted_dashboards() -> None:
    providers = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/dashboards/opticall.yml").read_text()
    )
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = dict(
        v.split(":")[:2] for v in compose["services"]["grafana"]["volumes"] if v.startswith("./")
    )
    assert mounts["./deploy/grafana/dashboards"] == providers["providers"][0]["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    host = DATASOURCE["datasources"][0]["url"].split("//")[1].split(":")[0]
    assert host in compose["services"]


def test_compose_prometheus_scrapes_the_five_services_and_loads_the_rules() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    jobs = {j["job_name"]: j["static_configs"][0]["targets"] for j in config["scrape_configs"]}
    for svc in SERVICES:
        port = 5010 if svc == "gateway" else PORTS[svc]  # the gateway's metrics port
        assert jobs[svc] == [f"{svc}:{port}"]
    assert "kafka-exporter" in jobs and "kafka-exporter" in compose["services"]
    mounts = dict(
        v.split(":")[:2] for v in compose["services"]["prometheus"]["volumes"] if v.startswith("./")
    )
    assert mounts["./deploy/prometheus/rules.yml"] in config["rule_files"]
