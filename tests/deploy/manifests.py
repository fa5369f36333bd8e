"""Shared helpers of the deploy tests: building overlays and reading metric names out of
PromQL (alert rules, dashboards). Also used by tests/integration/deploy."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import promql_parser
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = ("dev", "prod")
SERVICES = ("gateway", "auth", "scheduling", "forecasting", "realtime")
PORTS = {"gateway": 5000, "auth": 5001, "scheduling": 5002, "forecasting": 5003, "realtime": 5004}
DASHBOARDS = DEPLOY / "grafana" / "dashboards"
RULES = DEPLOY / "prometheus" / "rules.yml"

# Metrics that no OptiCall service exports: Prometheus' own `up`, and the Kafka exporter's lag
# (compose: kafka-exporter; Kubernetes: Strimzi's kafkaExporter). Everything else a dashboard
# or alert names must be on some service's /metrics.
EXTERNAL_METRICS = frozenset({"up", "kafka_consumergroup_lag"})


@cache
def tool(name: str) -> str:
    """Path of a tool installed by deploy/scripts/tools.sh (which fails if it cannot)."""
    out = subprocess.run(
        ["bash", str(DEPLOY / "scripts" / "tools.sh")],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    ).stdout
    paths = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return paths[name]


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _build(path: str) -> tuple[dict[str, Any], ...]:
    out = subprocess.run(
        [tool("kustomize"), "build", path], check=True, capture_output=True, text=True, timeout=120
    ).stdout
    return tuple(d for d in yaml.load_all(out, Loader=_Loader) if d)


def build(path: Path) -> list[dict[str, Any]]:
    """``kustomize build`` of a folder, as a fresh list of objects (callers may mutate it)."""
    return copy.deepcopy(list(_build(str(path))))


def load_yaml_docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def by_kind(objs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == kind}


# Grafana replaces these before Prometheus sees the query; any value that parses will do.
_GRAFANA_VARS = re.compile(r"\$(__rate_interval|__interval|__range)\b|\$\{[^}]+\}|\$\w+")


def grafana_to_promql(expr: str) -> str:
    def repl(m: re.Match[str]) -> str:
        return "5m" if m.group(1) else ".*"

    return _GRAFANA_VARS.sub(repl, expr)


def metric_names(expr: str) -> set[str]:
    """Every metric a PromQL expression selects (raises ValueError if it does not parse)."""
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def rule_exprs() -> Iterator[tuple[str, str]]:
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            yield rule.get("alert") or rule["record"], rule["expr"]


def dashboard_exprs() -> Iterator[tuple[str, str]]:
    """(dashboard/panel title, PromQL with Grafana variables substituted) of every query."""
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                yield f"{path.name}: {panel['title']}", grafana_to_promql(target["expr"])
        for var in board.get("templating", {}).get("list", []):
            query = var.get("definition", "")
            m = re.fullmatch(r"label_values\((.+),\s*\w+\)", query)
            if m:
                yield f"{path.name}: variable {var['name']}", m.group(1)


def all_metric_names() -> set[str]:
    names: set[str] = set()
    for _, expr in [*rule_exprs(), *dashboard_exprs()]:
        names |= metric_names(expr)
    return names
