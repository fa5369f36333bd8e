"""What every OptiCall workload promises in each overlay: probes, resources, a hardened pod,
its own ServiceAccount/ConfigMap/Service/PDB, HPAs where load varies, Secrets only referenced,
and a configuration the service itself accepts."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

from tests.deploy.manifests import K8S, PORTS, SERVICES, by_kind, load_yaml_docs
from tests.deploy.settings_env import load_settings

SECRETS = {s["metadata"]["name"]: s for s in load_yaml_docs(K8S / "secret.example.yaml")}
QUANTITY = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "": 1}


def quantity(value: str) -> float:
    value = str(value)
    for suffix in ("Ki", "Mi", "Gi", "m"):
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * QUANTITY[suffix]
    return float(value)


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def test_one_deployment_per_service(objs: list[dict[str, Any]]) -> None:
    assert set(by_kind(objs, "Deployment")) == set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_pod_is_hardened(objs: list[dict[str, Any]], service: str) -> None:
    deployment = by_kind(objs, "Deployment")[service]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    ctx = container(deployment)["securityContext"]
    assert ctx["readOnlyRootFilesystem"] is True
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx["capabilities"] == {"drop": ["ALL"]}
    tmp = [m for m in container(deployment)["volumeMounts"] if m["mountPath"] == "/tmp"]
    assert tmp, "a writable /tmp on a read-only root"
    volume = next(v for v in pod["volumes"] if v["name"] == tmp[0]["name"])
    assert "emptyDir" in volume


@pytest.mark.parametrize("service", SERVICES)
def test_probes_ports_and_resources(objs: list[dict[str, Any]], service: str) -> None:
    c = container(by_kind(objs, "Deployment")[service])
    assert c["ports"][0] == {"name": "http", "containerPort": PORTS[service], "protocol": "TCP"}
    # The gateway also has its metrics port (not the public one: /metrics is not there).
    extra = [{"name": "metrics", "containerPort": 5010, "protocol": "TCP"}]
    assert c["ports"][1:] == (extra if service == "gateway" else [])
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(c["resources"][kind])
    for res in ("cpu", "memory"):
        assert quantity(c["resources"]["requests"][res]) <= quantity(c["resources"]["limits"][res])


def test_forecasting_gets_the_most_cpu_and_memory(objs: list[dict[str, Any]]) -> None:
    deployments = by_kind(objs, "Deployment")
    res = {s: container(deployments[s])["resources"] for s in SERVICES}
    for kind in ("requests", "limits"):
        for r in ("cpu", "memory"):
            others = [quantity(res[s][kind][r]) for s in SERVICES if s != "forecasting"]
            assert quantity(res["forecasting"][kind][r]) > max(others), (kind, r)


@pytest.mark.parametrize("service", SERVICES)
def test_service_account_configmap_service_and_pdb(
    objs: list[dict[str, Any]], service: str
) -> None:
    deployment = by_kind(objs, "Deployment")[service]
    pod = deployment["spec"]["template"]["spec"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    sa = by_kind(objs, "ServiceAccount")[pod["serviceAccountName"]]
    assert sa["automountServiceAccountToken"] is False
    refs = [e["configMapRef"]["name"] for e in container(deployment)["envFrom"]]
    assert all(r in by_kind(objs, "ConfigMap") for r in refs) and refs
    svc = by_kind(objs, "Service")[service]
    assert selects({"matchLabels": svc["spec"]["selector"]}, labels)
    assert svc["spec"]["ports"][0]["port"] == PORTS[service]
    assert svc["spec"]["ports"][0]["targetPort"] == "http"
    pdbs = [
        p
        for p in by_kind(objs, "PodDisruptionBudget").values()
        if selects(p["spec"]["selector"], labels)
    ]
    assert len(pdbs) == 1


def test_hpas_for_gateway_realtime_and_forecasting(objs: list[dict[str, Any]]) -> None:
    hpas = by_kind(objs, "HorizontalPodAutoscaler")
    targets = {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()}
    assert targets == {"gateway", "realtime", "forecasting"}
    deployments = by_kind(objs, "Deployment")
    for hpa in hpas.values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_secrets_are_referenced_never_inlined(objs: list[dict[str, Any]]) -> None:
    assert [o["metadata"]["name"] for o in objs if o["kind"] == "Secret"] == []
    for cm in by_kind(objs, "ConfigMap").values():
        for key in cm.get("data", {}):
            assert not any(w in key for w in ("PASSWORD", "DATABASE_URL", "SIGNING_KEYS")), key
    for deployment in by_kind(objs, "Deployment").values():
        for env in container(deployment).get("env", []):
            if "resourceFieldRef" in env["valueFrom"]:  # the pod's own limits, no secret
                continue
            ref = env["valueFrom"]["secretKeyRef"]
            assert ref["name"] in SECRETS, f"{ref['name']} is not in secret.example.yaml"
            assert ref["key"] in SECRETS[ref["name"]]["stringData"]


def pod_env(objs: list[dict[str, Any]], service: str, secrets: dict[str, Any]) -> dict[str, str]:
    c = container(by_kind(objs, "Deployment")[service])
    env: dict[str, str] = {}
    for ref in c["envFrom"]:
        env.update(by_kind(objs, "ConfigMap")[ref["configMapRef"]["name"]]["data"])
    for e in c.get("env", []):
        if field := e["valueFrom"].get("resourceFieldRef"):
            env[e["name"]] = resource_value(c, field)
            continue
        ref = e["valueFrom"]["secretKeyRef"]
        env[e["name"]] = secrets[ref["name"]]["stringData"][ref["key"]]
    return env


def resource_value(c: dict[str, Any], field: dict[str, Any]) -> str:
    """What the kubelet puts in a ``resourceFieldRef`` variable: the CPU limit in whole
    cores (divisor 1), rounded up."""
    assert field["resource"] == "limits.cpu" and str(field.get("divisor", "1")) == "1", field
    limit = str(c["resources"]["limits"]["cpu"])
    cores = int(limit[:-1]) / 1000 if limit.endswith("m") else float(limit)
    return str(max(1, math.ceil(cores)))


def real_secrets() -> dict[str, Any]:
    return {
        name: {
            "stringData": {
                k: v.replace("change-me", f"s3cret-{name}-{k}") for k, v in s["stringData"].items()
            }
        }
        for name, s in SECRETS.items()
    }


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_accepts_its_pod_environment(
    objs: list[dict[str, Any]], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(service, pod_env(objs, service, real_secrets()), monkeypatch)
    assert settings.host == "0.0.0.0"
    assert settings.port == PORTS[service]
    services = by_kind(objs, "Service")
    if service != "auth":
        assert settings.jwks_url == f"http://auth:{PORTS['auth']}/.well-known/jwks.json"
    if service == "gateway":
        for name, url in settings.upstream_urls().items():
            assert url == f"http://{name}:{services[name]['spec']['ports'][0]['port']}"
    if service in ("scheduling", "forecasting", "realtime"):
        kafka = next(iter(by_kind(objs, "Kafka")))
        assert settings.kafka_bootstrap_servers == f"{kafka}-kafka-bootstrap:9092"
    if service != "gateway":
        cluster = next(iter(by_kind(objs, "Cluster")))
        assert f"@{cluster}-rw:5432/" in settings.database_url


def test_production_refuses_the_example_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.deploy.manifests import build

    objs = build(K8S / "overlays" / "prod")
    with pytest.raises(ValidationError, match="AUTH_ADMIN_PASSWORD"):
        load_settings("auth", pod_env(objs, "auth", SECRETS), monkeypatch)


def test_ingress_carries_websockets_to_the_gateway(objs: list[dict[str, Any]]) -> None:
    (ingress,) = by_kind(objs, "Ingress").values()
    notes = ingress["metadata"]["annotations"]
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(notes["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    assert notes["nginx.ingress.kubernetes.io/proxy-http-version"] == "1.1"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "gateway"
    port_names = [p["name"] for p in by_kind(objs, "Service")["gateway"]["spec"]["ports"]]
    assert backend["port"]["name"] in port_names


def test_namespace_enforces_restricted_pod_security(objs: list[dict[str, Any]]) -> None:
    (ns,) = by_kind(objs, "Namespace").values()
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    namespaced = [o for o in objs if o["kind"] != "Namespace"]
    assert {o["metadata"].get("namespace") for o in namespaced} == {ns["metadata"]["name"]}
