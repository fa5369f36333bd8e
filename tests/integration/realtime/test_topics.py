"""Topics the realtime service creates itself follow ``REALTIME_REPLICATION_FACTOR``."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from opticall_common import topics
from opticall_realtime.config import Settings
from opticall_realtime.kafka_topics import create_missing


def settings(bootstrap: str, prefix: str, replication: int) -> Settings:
    return Settings(
        KAFKA_BOOTSTRAP_SERVERS=bootstrap,
        KAFKA_TOPIC_PREFIX=prefix,
        OPTICALL_ENV="test",
        database_url="sqlite://",
        partitions=2,
        replication_factor=replication,
    )


async def describe(bootstrap: str, names: list[str]) -> dict[str, tuple[int, int]]:
    """name -> (partitions, replicas of partition 0)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        found = await admin.describe_topics(names)
    finally:
        await admin.close()
    return {
        t["topic"]: (len(t["partitions"]), len(t["partitions"][0]["replicas"]))
        for t in found
        if t["partitions"]
    }


def test_created_topics_use_the_replication_factor(kafka_bootstrap: str, kafka_prefix: str) -> None:
    prefix = kafka_prefix
    # The test broker has one node: a factor of 2 must be refused, not silently made 1.
    with pytest.raises(KafkaError, match=r"(?i)replication"):
        asyncio.run(create_missing(settings(kafka_bootstrap, prefix, 2)))
    created = asyncio.run(create_missing(settings(kafka_bootstrap, prefix, 1)))
    state = topics.topic(topics.AGENT_STATE, prefix)
    assert state in created and topics.dlq(state) in created
    got = asyncio.run(describe(kafka_bootstrap, list(created)))
    assert set(got) == set(created)
    assert all(v == (2, 1) for v in got.values())
    # Idempotent: nothing left to create.
    assert asyncio.run(create_missing(settings(kafka_bootstrap, prefix, 1))) == []
