"""The topics the realtime service creates when they are missing, at its replication factor.

The Faust app creates its own internal topics with ``REALTIME_REPLICATION_FACTOR``; the topics
created here (sources, ``agent-state``, ``adherence-changes`` and their dead-letter topics)
follow the same setting, so a production cluster never gets a single-replica topic from us.
"""

from __future__ import annotations

from opticall_common import topics
from opticall_common.kafka import ensure_topics
from opticall_realtime.config import Settings

SOURCES = (topics.AGENT_EVENTS, topics.SCHEDULE_CHANGES, topics.ADHERENCE_CHANGES)


async def create_missing(settings: Settings) -> list[str]:
    """Create what is missing (idempotent); returns the names it asked for."""
    prefix = settings.kafka_topic_prefix
    state = topics.topic(topics.AGENT_STATE, prefix)
    return await ensure_topics(
        settings.kafka_bootstrap_servers,
        [topics.topic(n, prefix) for n in (*SOURCES, topics.AGENT_STATE)],
        partitions=settings.partitions,
        compacted=[state],
        replication_factor=settings.replication_factor,
    )
