"""The common Kafka helpers against the real broker: round trip, commit after work, DLQ."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from opticall_common import topics
from opticall_common.events import AgentEvent, DeadLetter
from opticall_common.kafka import (
    DeadLetterSink,
    EventPublisher,
    consume,
    delete_topics_with_prefix,
    ensure_topics,
    make_consumer,
)
from opticall_common.metrics import DLQ_RECORDS


def event(n: int, agent: str = "a-1") -> AgentEvent:
    return AgentEvent(
        event_id=f"e{n}",
        agent_id=agent,
        state="available",
        timestamp=datetime(2026, 11, 25, 14, 0, n % 60, tzinfo=UTC),
        source="test",
    )


async def run_until(predicate: object, task: asyncio.Task[None], timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.05)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_agent_events_round_trip_with_dead_letters(
    kafka_bootstrap: str, unique: str, kafka_prefix: str
) -> None:
    prefix = kafka_prefix
    name = topics.topic(topics.AGENT_EVENTS, prefix)
    await ensure_topics(kafka_bootstrap, [name], partitions=3)
    publisher = EventPublisher(kafka_bootstrap, "test", prefix)
    await publisher.start()
    raw = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await raw.start()
    try:
        await publisher.publish(topics.AGENT_EVENTS, "a-1", event(1))
        # Malformed records of several kinds between good ones: the consumer must go on.
        for bad in (b"not json", b'{"agent_id": "a-1"}', b'{"state": "on_call"}'):
            await raw.send_and_wait(name, bad, key=b"a-1")
        await publisher.publish_many(
            topics.AGENT_EVENTS, [("a-2", event(2, "a-2")), ("a-3", event(3, "a-3"))]
        )
    finally:
        await raw.stop()

    # Labelled with the logical topic, like every other Kafka metric (not the prefixed name).
    before = DLQ_RECORDS.labels(topic=topics.AGENT_EVENTS)._value.get()
    seen: list[AgentEvent] = []

    async def handler(ev: AgentEvent) -> None:
        seen.append(ev)

    consumer = make_consumer(kafka_bootstrap, f"g{unique}", name)
    await consumer.start()
    task = asyncio.create_task(
        consume(
            consumer,
            AgentEvent,
            handler,
            DeadLetterSink(publisher.producer),
            logical_topic=topics.AGENT_EVENTS,
        )
    )
    try:
        await run_until(
            lambda: (
                len(seen) == 3
                and DLQ_RECORDS.labels(topic=topics.AGENT_EVENTS)._value.get() - before == 3
            ),
            task,
        )
    finally:
        await consumer.stop()
    assert sorted(e.event_id for e in seen) == ["e1", "e2", "e3"]

    # The dead letters carry the raw record and the error.
    dlq = AIOKafkaConsumer(
        topics.dlq(name),
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=f"d{unique}",
    )
    await dlq.start()
    try:
        letters = []
        async with asyncio.timeout(20):
            while len(letters) < 3:
                for records in (await dlq.getmany(timeout_ms=500)).values():
                    letters += [DeadLetter.model_validate_json(r.value) for r in records]
    finally:
        await dlq.stop()
        await publisher.stop()
    assert {letter.value for letter in letters} == {
        "not json",
        '{"agent_id": "a-1"}',
        '{"state": "on_call"}',
    }
    assert all(letter.error and letter.topic == name for letter in letters)


async def test_offsets_commit_only_after_the_handler_finished(
    kafka_bootstrap: str, unique: str, kafka_prefix: str
) -> None:
    name = topics.topic(topics.AGENT_EVENTS, kafka_prefix)
    await ensure_topics(kafka_bootstrap, [name], partitions=1)
    publisher = EventPublisher(kafka_bootstrap, "test")
    await publisher.start()
    try:
        await publisher.producer.send_and_wait(
            name, event(1).model_dump_json().encode(), key=b"a-1"
        )

        async def failing(_: AgentEvent) -> None:
            raise RuntimeError("crash while handling")

        group = f"g{unique}"
        consumer = make_consumer(kafka_bootstrap, group, name)
        await consumer.start()
        try:
            with contextlib.suppress(RuntimeError):
                await consume(
                    consumer,
                    AgentEvent,
                    failing,
                    DeadLetterSink(publisher.producer),
                    logical_topic="x",
                )
        finally:
            await consumer.stop()

        # A new consumer of the same group gets the record again: nothing was lost.
        seen: list[AgentEvent] = []

        async def ok(ev: AgentEvent) -> None:
            seen.append(ev)

        consumer = make_consumer(kafka_bootstrap, group, name)
        await consumer.start()
        task = asyncio.create_task(
            consume(consumer, AgentEvent, ok, DeadLetterSink(publisher.producer), logical_topic="x")
        )
        try:
            await run_until(lambda: len(seen) == 1, task)
        finally:
            await consumer.stop()
        assert seen[0].event_id == "e1"
    finally:
        await publisher.stop()


async def list_topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def topics_once_settled(bootstrap: str, gone: set[str], timeout: float = 15) -> set[str]:
    """The broker's topic list once none of ``gone`` is in it (or the last list at the timeout).

    Deletion is acknowledged by the controller; the broker that answers a metadata request
    learns of it a moment later, so one listing straight after the delete may still name them.
    """
    left = await list_topics(bootstrap)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while gone & left:
                await asyncio.sleep(0.1)
                left = await list_topics(bootstrap)
    return left


async def test_delete_topics_with_prefix_deletes_only_those(
    kafka_bootstrap: str, unique: str
) -> None:
    prefix, other = f"del{unique}.", f"keep{unique}."
    # "del<u>x" shares the prefix's characters but not its dot: it must survive too.
    mine = [f"{prefix}a", f"{prefix}b"]
    others = [f"{other}a", f"del{unique}x"]
    await ensure_topics(kafka_bootstrap, mine + others, partitions=1)
    mine += [topics.dlq(n) for n in mine]  # ensure_topics made DLQs alongside
    try:
        assert set(mine + others) <= await list_topics(kafka_bootstrap)
        assert sorted(await delete_topics_with_prefix(kafka_bootstrap, prefix)) == sorted(mine)
        left = await topics_once_settled(kafka_bootstrap, set(mine))
        assert not set(mine) & left
        assert set(others) <= left
        # Nothing left under the prefix: deleting again is a no-op, not an error.
        assert await delete_topics_with_prefix(kafka_bootstrap, prefix) == []
    finally:
        await delete_topics_with_prefix(kafka_bootstrap, other)
        await delete_topics_with_prefix(kafka_bootstrap, f"del{unique}")
    with pytest.raises(ValueError, match="empty prefix"):
        await delete_topics_with_prefix(kafka_bootstrap, "")
