"""Malformed records of every kind, per topic, and the Kafka plumbing to send and find them."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

NAIVE = "2026-11-25T14:00:00"  # no offset: ambiguous, so refused


@dataclass
class Bad:
    kind: str
    value: bytes | None
    keyless: bool = False


def _json(obj: Any) -> bytes:
    return orjson.dumps(obj)


def common_garbage() -> list[Bad]:
    """What can go wrong with any topic's record."""
    return [
        Bad("non-json", b"{not json"),
        Bad("empty value", b""),
        Bad("null value (tombstone)", None),
        Bad("json array", b"[1, 2, 3]"),
        Bad("json string", b'"hello"'),
        Bad("invalid utf-8", b"\xff\xfe\xfd"),
        Bad("deep nesting", b"[" * 5_000 + b"]" * 5_000),
        # 700 KB that doubles when the dead letter quotes it: the letter must still fit Kafka.
        Bad("huge non-json", b'"' * 700_000),
        Bad("null key, non-json", b"\x00garbage", keyless=True),
    ]


def agent_event_garbage(agent: str) -> list[Bad]:
    good = {"agent_id": agent, "state": "available", "timestamp": "2026-11-25T14:00:00Z"}
    return [
        *common_garbage(),
        Bad("wrong types", _json({"agent_id": 123, "state": ["on_call"], "timestamp": True})),
        Bad("missing fields", _json({"agent_id": agent})),
        Bad("huge value", _json({**good, "agent_id": "a" * 500_000})),
        Bad("wrong enum", _json({**good, "state": "flying"})),
        Bad("naive timestamp", _json({**good, "timestamp": NAIVE})),
        Bad("null key, wrong enum", _json({**good, "state": "sleeping"}), keyless=True),
    ]


def schedule_change_garbage(valid: dict[str, Any]) -> list[Bad]:
    shift = valid["shift"]
    return [
        *common_garbage(),
        Bad("wrong types", _json({**valid, "op": 5, "shift": "tomorrow"})),
        Bad("missing fields", _json({k: v for k, v in valid.items() if k != "shift"})),
        Bad("huge value", _json({**valid, "op": "c" * 500_000})),
        Bad("wrong enum", _json({**valid, "op": "renamed"})),
        Bad("naive timestamp", _json({**valid, "shift": {**shift, "start": NAIVE}})),
        Bad("null key, wrong enum", _json({**valid, "op": "moved"}), keyless=True),
    ]


def forecast_request_garbage(valid: dict[str, Any]) -> list[Bad]:
    # Every field of a forecast request has a default ({} is a job that fails for want of
    # data, not a malformed record), so "missing" is a required inner field.
    return [
        *common_garbage(),
        Bad("wrong types", _json({**valid, "periods": "many", "history": "yes"})),
        Bad("missing fields", _json({**valid, "history": [{"ds": "2026-01-01"}]})),
        Bad(
            "huge value",
            # orjson refuses big ints, so the 10**30 is spliced in as text.
            _json({**valid, "periods": "BIG", "request_id": "r" * 500_000}).replace(
                b'"BIG"', b"1" + b"0" * 30
            ),
        ),
        Bad("wrong enum", _json({**valid, "metric": "calls"})),
        Bad("naive timestamp", _json({**valid, "requested_at": NAIVE})),
        Bad("null key, wrong enum", _json({**valid, "metric": "sales"}), keyless=True),
    ]


async def _send(
    bootstrap: str, topic: str, key: str, bad: list[Bad], last: bytes
) -> list[tuple[int, int]]:
    """Send ``bad`` then ``last`` to the partition of ``key`` (so ``last`` comes after all of
    them for the consumer of that partition); returns each bad record's (partition, offset)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=2_000_000)
    await producer.start()
    try:
        partitions = sorted(await producer.partitions_for(topic))
        partition = DefaultPartitioner()(key.encode(), partitions, partitions)
        where = []
        for b in bad:
            meta = await producer.send_and_wait(
                topic, b.value, key=None if b.keyless else key.encode(), partition=partition
            )
            where.append((meta.partition, meta.offset))
        await producer.send_and_wait(topic, last, key=key.encode(), partition=partition)
        return where
    finally:
        await producer.stop()


def send(
    bootstrap: str, topic: str, key: str, bad: list[Bad], last: bytes
) -> list[tuple[int, int]]:
    return asyncio.run(_send(bootstrap, topic, key, bad, last))


async def _dead_letters(
    bootstrap: str, dlq: str, wanted: set[tuple[int, int]], timeout: float
) -> dict[tuple[int, int], dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        dlq,
        bootstrap_servers=bootstrap,
        group_id=f"fuzz-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
        fetch_max_bytes=10_000_000,
        max_partition_fetch_bytes=10_000_000,
    )
    await consumer.start()
    found: dict[tuple[int, int], dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    try:
        while set(found) < wanted and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    letter = orjson.loads(record.value or b"{}")
                    where = (letter.get("partition"), letter.get("offset"))
                    if where in wanted:
                        found[where] = letter
    finally:
        await consumer.stop()
    return found


def dead_letters(
    bootstrap: str, dlq: str, wanted: set[tuple[int, int]], timeout: float = 90
) -> dict[tuple[int, int], dict[str, Any]]:
    return asyncio.run(_dead_letters(bootstrap, dlq, wanted, timeout))


def dlq_count(metrics_text: str, logical: str) -> float:
    """``opticall_dlq_records_total`` for a topic: every service labels it with the logical
    name (``agent-events``), never the prefixed one."""
    total = 0.0
    for line in metrics_text.splitlines():
        if not line.startswith("opticall_dlq_records_total{"):
            continue
        labels, _, value = line.rpartition(" ")
        if f'topic="{logical}"' in labels:
            total += float(value)
    return total
