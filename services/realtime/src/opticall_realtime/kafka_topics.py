"""The topics the realtime service creates when they are missing, at its replication factor.

``opticall_common.kafka.ensure_topics`` creates every topic with one replica. The Faust app
creates its own internal topics with ``REALTIME_REPLICATION_FACTOR``; the topics created
here (sources, ``agent-state``, ``adherence-changes`` and their dead-letter topics) follow
the same setting, so a production cluster never gets a single-replica topic from us.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from opticall_common import topics
from opticall_realtime.config import Settings

SOURCES = (topics.AGENT_EVENTS, topics.SCHEDULE_CHANGES, topics.ADHERENCE_CHANGES)


def wanted_topics(settings: Settings, existing: set[str]) -> list[NewTopic]:
    prefix = settings.kafka_topic_prefix
    state = topics.topic(topics.AGENT_STATE, prefix)
    names = [topics.topic(n, prefix) for n in (*SOURCES, topics.AGENT_STATE)]
    out = []
    for name in names:
        for physical in (name, topics.dlq(name)):
            if physical in existing:
                continue
            configs = {"cleanup.policy": "compact"} if physical == state else {}
            out.append(
                NewTopic(
                    physical,
                    settings.partitions,
                    settings.replication_factor,
                    topic_configs=configs,
                )
            )
    return out


async def create_missing(settings: Settings) -> Sequence[str]:
    """Create what is missing (idempotent); returns the names it asked for."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        wanted = wanted_topics(settings, set(await admin.list_topics()))
        if wanted:
            response = await admin.create_topics(wanted)
            for name, code, *rest in response.topic_errors:
                # Another instance may create one between our list and create: that is fine.
                if code not in (0, TopicAlreadyExistsError.errno):
                    error = for_code(code)
                    raise error(f"cannot create topic {name}: {rest[0] if rest else ''}")
        return [t.name for t in wanted]
    finally:
        await admin.close()
