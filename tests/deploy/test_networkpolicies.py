"""The NetworkPolicies allow exactly the real flows: evaluated like a CNI would, for every
pair of pods (OptiCall's, the operators', the cluster's, and strangers), on each target port."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.deploy.manifests import PORTS, SERVICES, by_kind

TCP, UDP = "TCP", "UDP"


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: dict[str, str]
    ports: dict[str, int] = field(default_factory=dict)  # named container ports
    serves: tuple[tuple[str, int], ...] = ()  # (protocol, port) it listens on


def pods(objs: list[dict[str, Any]]) -> list[Pod]:
    ns = next(iter(by_kind(objs, "Namespace")))
    out = []
    for name, d in by_kind(objs, "Deployment").items():
        c = d["spec"]["template"]["spec"]["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        out.append(
            Pod(
                name,
                ns,
                d["spec"]["template"]["metadata"]["labels"],
                ports,
                tuple((TCP, p) for p in ports.values()),
            )
        )
    kafka = next(iter(by_kind(objs, "Kafka")))
    pg = next(iter(by_kind(objs, "Cluster")))
    out += [
        Pod(
            "kafka",
            ns,
            {"strimzi.io/cluster": kafka, "strimzi.io/kind": "Kafka"},
            {},
            ((TCP, 9092),),
        ),
        Pod("postgres", ns, {"cnpg.io/cluster": pg}, {}, ((TCP, 5432),)),
        Pod("dns", "kube-system", {"k8s-app": "kube-dns"}, {}, ((UDP, 53), (TCP, 53))),
        Pod("ingress", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}),
        Pod("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}),
        Pod("stranger", ns, {"app": "something-else"}, {}, ((TCP, 8080),)),
        Pod("outsider", "default", {"app.kubernetes.io/name": "gateway"}, {}, ((TCP, 5000),)),
    ]
    return out


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        value, op = labels.get(expr["key"]), expr["operator"]
        if op == "In" and value not in expr["values"]:
            return False
        if op == "NotIn" and value in expr["values"]:
            return False
        if op == "Exists" and value is None:
            return False
        if op == "DoesNotExist" and value is not None:
            return False
    return True


def peer_matches(peer: dict[str, Any], policy_ns: str, pod: Pod) -> bool:
    if "ipBlock" in peer:
        return False  # none used: pod-to-pod flows only
    if "namespaceSelector" in peer:
        ns_ok = matches(peer["namespaceSelector"], {"kubernetes.io/metadata.name": pod.namespace})
    else:
        ns_ok = pod.namespace == policy_ns
    return ns_ok and matches(peer.get("podSelector", {}), pod.labels)


def port_matches(rule: dict[str, Any], dst: Pod, proto: str, port: int) -> bool:
    if "ports" not in rule:
        return True
    for p in rule["ports"]:
        number = dst.ports.get(p["port"]) if isinstance(p["port"], str) else p["port"]
        if p.get("protocol", TCP) == proto and number == port:
            return True
    return False


def allowed(policies: list[dict[str, Any]], src: Pod, dst: Pod, proto: str, port: int) -> bool:
    def direction(pod: Pod, kind: str, peers: str, peer: Pod) -> bool:
        selecting = [
            p
            for p in policies
            if p["metadata"]["namespace"] == pod.namespace
            and matches(p["spec"]["podSelector"], pod.labels)
            and kind in p["spec"]["policyTypes"]
        ]
        if not selecting:
            return True  # not isolated in this direction
        key = "ingress" if kind == "Ingress" else "egress"
        return any(
            port_matches(rule, dst, proto, port)
            and any(peer_matches(x, pod.namespace, peer) for x in rule.get(peers, []))
            for p in selecting
            for rule in p["spec"].get(key, [])
        )

    return direction(src, "Egress", "to", dst) and direction(dst, "Ingress", "from", src)


def expected_flows() -> set[tuple[str, str, str, int]]:
    flows = {("ingress", "gateway", TCP, PORTS["gateway"])}
    for svc in SERVICES:
        # The gateway's /metrics is on its metrics port, not its public one.
        flows.add(("prometheus", svc, TCP, 5010 if svc == "gateway" else PORTS[svc]))
        flows |= {(svc, "dns", UDP, 53), (svc, "dns", TCP, 53)}
        if svc != "gateway":
            flows.add(("gateway", svc, TCP, PORTS[svc]))
    for svc in ("scheduling", "forecasting", "realtime"):
        flows.add((svc, "auth", TCP, PORTS["auth"]))  # JWKS
        flows.add((svc, "kafka", TCP, 9092))
    flows.add(("scheduling", "forecasting", TCP, PORTS["forecasting"]))  # /staffing/plan
    for svc in ("auth", "scheduling", "forecasting", "realtime"):
        flows.add((svc, "postgres", TCP, 5432))
    return flows


def test_deny_all_selects_every_opticall_pod(objs: list[dict[str, Any]]) -> None:
    policies = by_kind(objs, "NetworkPolicy")
    deny = [
        p
        for p in policies.values()
        if set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert len(deny) == 1
    for d in by_kind(objs, "Deployment").values():
        assert matches(deny[0]["spec"]["podSelector"], d["spec"]["template"]["metadata"]["labels"])


def test_only_the_real_flows_are_allowed(objs: list[dict[str, Any]]) -> None:
    policies = list(by_kind(objs, "NetworkPolicy").values())
    everyone = pods(objs)
    opticall = {p.name for p in everyone if p.labels.get("app.kubernetes.io/part-of") == "opticall"}
    assert opticall == set(SERVICES)
    actual = set()
    for src in everyone:
        for dst in everyone:
            for proto, port in dst.serves:
                if src is not dst and allowed(policies, src, dst, proto, port):
                    actual.add((src.name, dst.name, proto, port))
    # Flows between pods that no OptiCall policy selects are the operators' business.
    ours = {f for f in actual if f[0] in opticall or f[1] in opticall}
    assert ours == expected_flows()
