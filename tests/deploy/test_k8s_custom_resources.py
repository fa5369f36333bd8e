"""Strimzi, CloudNativePG and Prometheus Operator objects. No registry we reach ships their CRD
schemas, so these are structural checks: the fields we use and nothing unknown beside them,
their types, and how they fit the rest (topic names from opticall_common, replicas within the
brokers, Secrets that exist, selectors that select, alerts identical to rules.yml)."""

from __future__ import annotations

from typing import Any

import yaml

from opticall_common import topics
from tests.deploy.manifests import K8S, RULES, SERVICES, build, by_kind, load_yaml_docs

TOPICS = [
    topics.AGENT_EVENTS,
    topics.SCHEDULE_CHANGES,
    topics.FORECAST_REQUESTS,
    topics.FORECAST_RESULTS,
    topics.ADHERENCE_CHANGES,
    topics.AGENT_STATE,
]
STATEFUL_TOPICS = {topics.AGENT_STATE}
TOPIC_CONFIGS = {
    "cleanup.policy",
    "retention.ms",
    "min.insync.replicas",
    "min.cleanable.dirty.ratio",
    "segment.ms",
    "delete.retention.ms",
    "max.message.bytes",
    "min.compaction.lag.ms",
}
SECRETS = {s["metadata"]["name"]: s for s in load_yaml_docs(K8S / "secret.example.yaml")}


def only_keys(obj: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(obj) - allowed
    assert not unknown, f"{where}: unknown fields {sorted(unknown)}"


def test_kafka_cluster_is_kraft_with_node_pools(objs: list[dict[str, Any]]) -> None:
    ((name, kafka),) = by_kind(objs, "Kafka").items()
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1beta2"
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    assert kafka["metadata"]["annotations"]["strimzi.io/node-pools"] == "enabled"
    only_keys(
        kafka["spec"], {"kafka", "entityOperator", "kafkaExporter", "cruiseControl"}, "Kafka.spec"
    )
    only_keys(
        kafka["spec"]["kafka"],
        {"version", "metadataVersion", "listeners", "config", "authorization"},
        "Kafka.spec.kafka",
    )
    listener = next(x for x in kafka["spec"]["kafka"]["listeners"] if x["port"] == 9092)
    assert listener["type"] == "internal" and listener["tls"] is False
    assert "topicOperator" in kafka["spec"]["entityOperator"]
    assert "kafkaExporter" in kafka["spec"], "kafka_consumergroup_lag comes from it"
    pools = by_kind(objs, "KafkaNodePool").values()
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == name for p in pools)
    roles = {r for p in pools for r in p["spec"]["roles"]}
    assert roles == {"controller", "broker"}
    for p in pools:
        only_keys(
            p["spec"],
            {"replicas", "roles", "storage", "resources", "template"},
            "KafkaNodePool.spec",
        )
        assert isinstance(p["spec"]["replicas"], int) and p["spec"]["replicas"] >= 1


def brokers(objs: list[dict[str, Any]]) -> int:
    pools = by_kind(objs, "KafkaNodePool").values()
    return sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])


def test_topics_match_the_contract(objs: list[dict[str, Any]]) -> None:
    kafka = next(iter(by_kind(objs, "Kafka")))
    declared = {t["spec"]["topicName"]: t for t in by_kind(objs, "KafkaTopic").values()}
    assert set(declared) == {*TOPICS, *(topics.dlq(t) for t in TOPICS)}
    config = next(iter(by_kind(objs, "Kafka").values()))["spec"]["kafka"]["config"]
    for name, topic in declared.items():
        spec = topic["spec"]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka
        only_keys(spec, {"topicName", "partitions", "replicas", "config"}, name)
        only_keys(spec["config"], TOPIC_CONFIGS, f"{name}.config")
        assert isinstance(spec["partitions"], int) and spec["partitions"] >= 1
        assert 1 <= spec["replicas"] <= brokers(objs), f"{name}: more replicas than brokers"
        assert 1 <= spec["config"]["min.insync.replicas"] <= spec["replicas"]
        policy = spec["config"]["cleanup.policy"]
        if name in STATEFUL_TOPICS:
            assert policy == "compact", f"{name} holds state: compacted"
        else:
            assert policy == "delete" and int(spec["config"]["retention.ms"]) > 0
    internal = [k for k in config if k.endswith("replication.factor")]
    assert all(config[k] <= brokers(objs) for k in internal)


def test_partitions_bound_the_consumers_autoscaling(objs: list[dict[str, Any]]) -> None:
    # More consumers than partitions would sit idle: the HPA stops at the partition count.
    declared = {t["spec"]["topicName"]: t["spec"] for t in by_kind(objs, "KafkaTopic").values()}
    hpas = by_kind(objs, "HorizontalPodAutoscaler")
    assert hpas["realtime"]["spec"]["maxReplicas"] <= declared[topics.AGENT_EVENTS]["partitions"]
    assert (
        hpas["forecasting"]["spec"]["maxReplicas"]
        <= declared[topics.FORECAST_REQUESTS]["partitions"]
    )


def test_postgres_cluster_gives_each_service_its_role_and_database(
    objs: list[dict[str, Any]],
) -> None:
    ((name, cluster),) = by_kind(objs, "Cluster").items()
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    only_keys(
        cluster["spec"],
        {
            "instances",
            "imageName",
            "primaryUpdateStrategy",
            "storage",
            "resources",
            "postgresql",
            "managed",
            "bootstrap",
            "monitoring",
        },
        "Cluster.spec",
    )
    assert cluster["spec"]["instances"] >= 1
    assert cluster["spec"]["imageName"].endswith(":16")
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    databases = {d["spec"]["name"]: d["spec"] for d in by_kind(objs, "Database").values()}
    owners = [s for s in SERVICES if s != "gateway"]
    assert set(roles) == set(owners) == set(databases)
    for svc in owners:
        only_keys(roles[svc], {"name", "ensure", "login", "passwordSecret"}, f"role {svc}")
        secret = SECRETS[roles[svc]["passwordSecret"]["name"]]
        assert secret["type"] == "kubernetes.io/basic-auth"
        assert secret["stringData"]["username"] == svc
        assert databases[svc]["owner"] == svc and databases[svc]["cluster"]["name"] == name
        url = SECRETS[f"opticall-{svc}"]["stringData"]["database-url"]
        assert url.startswith(f"postgresql+psycopg2://{svc}:") and url.endswith(
            f"@{name}-rw:5432/{svc}"
        )


def prod() -> list[dict[str, Any]]:
    return build(K8S / "overlays" / "prod")


def test_service_monitors_select_each_service() -> None:
    objs = prod()
    monitors = by_kind(objs, "ServiceMonitor")
    services = by_kind(objs, "Service")
    scraped = set()
    for m in monitors.values():
        only_keys(
            m["spec"],
            {"jobLabel", "selector", "endpoints", "namespaceSelector"},
            "ServiceMonitor.spec",
        )
        for svc_name, svc in services.items():
            labels = svc["metadata"]["labels"]
            if all(labels.get(k) == v for k, v in m["spec"]["selector"]["matchLabels"].items()):
                scraped.add(svc_name)
                for ep in m["spec"]["endpoints"]:
                    only_keys(ep, {"port", "path", "interval", "scrapeTimeout"}, "endpoint")
                    assert ep["port"] in {p["name"] for p in svc["spec"]["ports"]}
                    assert ep["path"] == "/metrics"
    assert scraped == set(SERVICES)
    (pod_monitor,) = by_kind(objs, "PodMonitor").values()
    kafka = next(iter(by_kind(objs, "Kafka")))
    assert (
        pod_monitor["spec"]["selector"]["matchLabels"]["strimzi.io/name"]
        == f"{kafka}-kafka-exporter"
    )


def test_prometheus_rule_is_rules_yml() -> None:
    (rule,) = by_kind(prod(), "PrometheusRule").values()
    only_keys(rule["spec"], {"groups"}, "PrometheusRule.spec")
    assert rule["spec"] == yaml.safe_load(RULES.read_text())


def test_realtime_partitions_and_replication_match_the_topics(objs: list[dict[str, Any]]) -> None:
    data = by_kind(objs, "ConfigMap")["realtime"]["data"]
    declared = {t["spec"]["topicName"]: t["spec"] for t in by_kind(objs, "KafkaTopic").values()}
    # The Faust table is co-partitioned with its sources: one partition count for all three.
    for name in (topics.AGENT_EVENTS, topics.SCHEDULE_CHANGES, topics.AGENT_STATE):
        assert declared[name]["partitions"] == int(data["REALTIME_PARTITIONS"]), name
    assert int(data["REALTIME_REPLICATION_FACTOR"]) <= brokers(objs)


def test_forecasting_pool_fits_its_cpu_limit(objs: list[dict[str, Any]]) -> None:
    pool = int(by_kind(objs, "ConfigMap")["forecasting"]["data"]["FORECASTING_POOL_SIZE"])
    deployment = by_kind(objs, "Deployment")["forecasting"]
    limit = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"]
    assert 1 <= pool <= float(limit)
