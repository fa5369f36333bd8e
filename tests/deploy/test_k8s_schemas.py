"""Every overlay builds with kustomize, and every object is valid: core kinds against the
Kubernetes JSON schemas of kubernetes-validate (offline, strict: unknown fields fail); the
operators' kinds (Strimzi, CloudNativePG, Prometheus Operator) by structural checks, as no
registry we reach ships their CRD schemas."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
from referencing import Registry, Resource

from tests.deploy.manifests import K8S, build

# The oldest and the newest Kubernetes minor we promise to run on.
K8S_VERSIONS = ("1.30", "1.37")
CUSTOM_KINDS = {
    "kafka.strimzi.io/v1beta2": {"Kafka", "KafkaNodePool", "KafkaTopic"},
    "postgresql.cnpg.io/v1": {"Cluster", "Database"},
    "monitoring.coreos.com/v1": {"ServiceMonitor", "PodMonitor", "PrometheusRule"},
}


SCHEMAS = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"


@cache
def _json(path: Path) -> Any:
    return json.loads(path.read_text())


@cache
def _validator(version: str, kind: str, api_version: str) -> jsonschema.Draft202012Validator:
    """kubernetes_validate.validate() reloads the schemas on every call (seconds per object on
    a busy machine); the same strict schemas, loaded once."""
    folder = SCHEMAS / f"v{version}.0-local-strict"
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = folder / f"{kind.lower()}-{group}.json"
    if not path.exists():
        raise kubernetes_validate.SchemaNotFoundError(kind, version, api_version)
    schema = _json(path)
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(_json(folder / "_definitions.json")) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


def is_custom(obj: dict[str, Any]) -> bool:
    return obj["kind"] in CUSTOM_KINDS.get(obj["apiVersion"], set())


def validate_core(objs: list[dict[str, Any]]) -> list[str]:
    errors = []
    for obj in objs:
        if is_custom(obj):
            continue
        for version in K8S_VERSIONS:
            try:
                validator = _validator(version, obj["kind"], obj["apiVersion"])
            except kubernetes_validate.SchemaNotFoundError:
                errors.append(
                    f"{obj['apiVersion']} {obj['kind']}: no schema in Kubernetes {version}"
                )
                continue
            for exc in validator.iter_errors(obj):
                where = "/".join(str(p) for p in exc.path)
                name = obj["metadata"]["name"]
                errors.append(f"{obj['kind']}/{name} ({version}) {where}: {exc.message}")
    return errors


def test_overlay_objects_match_the_kubernetes_schemas(objs: list[dict[str, Any]]) -> None:
    assert objs, "the overlay built to nothing"
    assert validate_core(objs) == []


def test_base_builds_without_any_custom_resource() -> None:
    objs = build(K8S / "base")
    assert [o["kind"] for o in objs if is_custom(o)] == []
    assert validate_core(objs) == []


def test_the_validator_rejects_an_unknown_field() -> None:
    # Guards the guard: strict mode must catch a typo, or the test above proves nothing.
    deployment = next(o for o in build(K8S / "base") if o["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {}
    assert validate_core([deployment])


def test_every_object_is_core_or_a_known_custom_kind(objs: list[dict[str, Any]]) -> None:
    for obj in objs:
        group = obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else ""
        if group.endswith((".strimzi.io", ".cnpg.io", ".coreos.com")):
            assert is_custom(obj), f"unexpected {obj['apiVersion']} {obj['kind']}"


@pytest.mark.parametrize("component", ["strimzi", "cnpg", "monitoring"])
def test_components_are_components(component: str) -> None:
    text = (K8S / "components" / component / "kustomization.yaml").read_text()
    assert "kind: Component" in text
