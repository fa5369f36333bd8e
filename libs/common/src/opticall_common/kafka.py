"""Kafka plumbing on aiokafka: a safe producer, a commit-after-processing consumer, dead letters.

The producer is idempotent with ``acks=all`` so a retried send never duplicates or loses a
record. Consumers commit offsets only after the handler has finished, so a crash re-delivers
instead of dropping; handlers must therefore be idempotent (events carry unique ids for that).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    KafkaTimeoutError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
    for_code,
)
from pydantic import BaseModel, ValidationError

from opticall_common import topics
from opticall_common.events import DeadLetter
from opticall_common.metrics import DLQ_RECORDS, EVENTS_CONSUMED, EVENTS_PUBLISHED

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


def make_producer(bootstrap_servers: str, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        request_timeout_ms=15_000,
    )


def make_consumer(
    bootstrap_servers: str, group_id: str, *topic_names: str, client_id: str = "opticall"
) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        *topic_names,
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )


def encode(event: BaseModel) -> bytes:
    return event.model_dump_json().encode()


async def await_acks(futures: Sequence[asyncio.Future[object]], stall_seconds: float) -> None:
    """Wait for every acknowledgement; fail when none arrives for ``stall_seconds``.

    aiokafka retries a batch for as long as the partition's leader is known, so with the broker
    down (e.g. restarting) a send would hang forever and an HTTP caller until its own timeout.
    Failing instead lets the caller answer 503; records still queued may yet be delivered,
    which consumers tolerate (they drop duplicates by event id).
    """
    pending = set(futures)
    while pending:
        done, pending = await asyncio.wait(pending, timeout=stall_seconds)
        if not done:
            for fut in pending:  # retrieve their outcome later so nothing is logged as unseen
                fut.add_done_callback(lambda f: f.cancelled() or f.exception())
            raise KafkaTimeoutError(f"no acknowledgement from Kafka for {stall_seconds} s")
        for fut in done:
            fut.result()


class EventPublisher:
    """Publishes contract events; wraps one idempotent producer for a service's lifetime."""

    def __init__(
        self,
        bootstrap_servers: str,
        client_id: str,
        prefix: str = "",
        stall_seconds: float = 10.0,
    ) -> None:
        self.producer = make_producer(bootstrap_servers, client_id)
        self.prefix = prefix
        self.stall_seconds = stall_seconds

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    def physical(self, name: str) -> str:
        return topics.topic(name, self.prefix)

    async def publish(self, name: str, key: str, event: BaseModel) -> None:
        fut = await self.producer.send(self.physical(name), encode(event), key=key.encode())
        await await_acks([fut], self.stall_seconds)
        EVENTS_PUBLISHED.labels(topic=name).inc()

    async def publish_many(self, name: str, items: Sequence[tuple[str, BaseModel]]) -> None:
        """Send a batch concurrently and wait until every record is acknowledged."""
        futures = [
            await self.producer.send(self.physical(name), encode(ev), key=key.encode())
            for key, ev in items
        ]
        await await_acks(futures, self.stall_seconds)
        EVENTS_PUBLISHED.labels(topic=name).inc(len(items))


class DeadLetterSink:
    """Sends a refused record to ``<topic>.dlq`` with the error, and counts it."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    async def send(
        self, record: ConsumerRecord[bytes, bytes], error: str, *, logical_topic: str | None = None
    ) -> None:
        """``logical_topic`` labels the metric (``agent-events``, not ``<prefix>agent-events``),
        as every other Kafka metric is labelled; the letter itself names the physical topic."""
        letter = DeadLetter(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key.decode(errors="replace") if record.key else None,
            value=(record.value or b"").decode(errors="replace"),
            error=error[:2000],
        )
        await self.producer.send_and_wait(
            topics.dlq(record.topic),
            encode(letter),
            key=record.key,
            headers=[("error", error[:500].encode())],
        )
        DLQ_RECORDS.labels(topic=logical_topic or record.topic).inc()
        log.warning(
            "dead-lettered %s@%s:%s: %s", record.topic, record.partition, record.offset, error[:200]
        )


def parse_record(record: ConsumerRecord[bytes, bytes], model: type[M]) -> M:
    if record.value is None:
        raise ValueError("empty record value")
    return model.model_validate_json(record.value)


async def consume(
    consumer: AIOKafkaConsumer,
    model: type[M],
    handler: Callable[[M], Awaitable[None]],
    dead_letters: DeadLetterSink,
    *,
    logical_topic: str,
    batch_ms: int = 500,
    max_records: int = 500,
) -> None:
    """Fold records into ``handler`` forever; commit each batch only once it is handled.

    A record that fails validation goes to the dead-letter topic and the loop goes on. An
    exception from the handler itself propagates: its offset stays uncommitted, so the record
    is re-delivered after the service restarts rather than lost.
    """
    while True:
        batches = await consumer.getmany(timeout_ms=batch_ms, max_records=max_records)
        if not batches:
            continue
        offsets: dict[TopicPartition, int] = {}
        for tp, records in batches.items():
            for record in records:
                try:
                    event = parse_record(record, model)
                except (ValidationError, ValueError) as exc:
                    await dead_letters.send(record, str(exc), logical_topic=logical_topic)
                else:
                    await handler(event)
                    EVENTS_CONSUMED.labels(topic=logical_topic).inc()
                offsets[tp] = record.offset + 1
        await consumer.commit(offsets)


async def ensure_topics(
    bootstrap_servers: str,
    names: Sequence[str],
    partitions: int = 3,
    compacted: Sequence[str] = (),
    replication_factor: int = 1,
) -> list[str]:
    """Create topics that do not exist yet (idempotent); DLQs are created alongside.

    Returns the names it asked to create. A refusal (e.g. more replicas than brokers) raises
    the broker's error instead of leaving a service running on topics that do not exist.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = []
        for name in names:
            for physical in (name, topics.dlq(name)):
                if physical in existing:
                    continue
                configs = {"cleanup.policy": "compact"} if physical in compacted else {}
                wanted.append(
                    NewTopic(physical, partitions, replication_factor, topic_configs=configs)
                )
        if wanted:
            response = await admin.create_topics(wanted)
            for name, code, *rest in response.topic_errors:
                # Another service may create one between our list and create: that is fine.
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise for_code(code)(f"cannot create topic {name}: {rest[0] if rest else ''}")
        return [t.name for t in wanted]
    finally:
        await admin.close()


async def delete_topics_with_prefix(bootstrap_servers: str, prefix: str) -> list[str]:
    """Delete every topic whose name starts with ``prefix``; returns the names deleted.

    For tests and benchmarks that run under a throw-away prefix: left behind, their topics pile
    up in a developer's broker until it takes minutes to start. An empty prefix is refused, as
    it would match every topic. A topic already gone (e.g. deleted concurrently) is fine.
    """
    if not prefix:
        raise ValueError("refusing to delete topics with an empty prefix (that is all of them)")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        doomed = sorted(t for t in await admin.list_topics() if t.startswith(prefix))
        if not doomed:
            return []
        response = await admin.delete_topics(doomed)
        deleted = []
        for name, code, *_ in response.topic_error_codes:
            if code == 0:
                deleted.append(name)
            elif code != UnknownTopicOrPartitionError.errno:
                raise for_code(code)(f"cannot delete topic {name}")
        return sorted(deleted)
    finally:
        await admin.close()


async def check_kafka(producer: AIOKafkaProducer) -> None:
    """Readiness: the producer's client can fetch cluster metadata right now."""
    await asyncio.wait_for(producer.client.fetch_all_metadata(), timeout=3)
