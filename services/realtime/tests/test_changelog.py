"""The agent-state changelog writer: every queued write sent, in order, in full record batches."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatch

from opticall_realtime.changelog import ChangelogWriter
from opticall_realtime.record import AgentRecord


class Producer:
    """aiokafka's producer as the writer uses it, with real (small) record batches."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.sent: list[tuple[int, BatchBuilder]] = []
        self.closed: list[bool] = []  # each batch, when it was sent

    def create_batch(self) -> BatchBuilder:
        return BatchBuilder(self.batch_size, 0)

    async def send_batch(self, batch: BatchBuilder, topic: str, partition: int) -> None:
        assert topic == "agent-state"
        self.sent.append((partition, batch))
        self.closed.append(batch.closed())


class App:
    def __init__(self, producer: Producer) -> None:
        self.producer = self
        self._producer = producer

    def _ensure_producer(self) -> Producer:
        return self._producer


def record(i: int) -> AgentRecord:
    return AgentRecord(
        "on_call", 1e9 + i / 7, 1e9 + i, f"e{i}", "sales", None, "in", "work", None, i
    )


def test_every_write_is_sent_in_order_in_full_batches() -> None:
    producer = Producer(batch_size=2048)  # ~20 records a batch: the writer has to split
    writer = ChangelogWriter(App(producer), "agent-state")  # type: ignore[arg-type]
    sent: list[int] = []

    async def run() -> None:
        writer.put_many(0, {f"a{i}": record(i) for i in range(150)}, lambda: sent.append(1))
        writer.put_many(1, {"b": record(1000)}, lambda: sent.append(2))
        writer.put("a7", record(2000), 0)  # a timer's write: the newest for a7
        await writer.stop()

    asyncio.run(run())
    assert sent == [1, 2] and writer.queued == 0
    got: dict[int, list[tuple[str, Any]]] = {0: [], 1: []}
    for partition, batch in producer.sent:
        assert batch.record_count() > 0
        records = list(DefaultRecordBatch(batch._build()))
        assert [r.offset for r in records] == list(range(batch.record_count()))
        got[partition] += [(r.key.decode(), orjson.loads(r.value)) for r in records]
    assert len(producer.sent) > 150 // 20  # split when full, not one oversized batch
    # A full batch is closed, so aiokafka sends it at once rather than after the linger.
    assert producer.closed[:-2] == [True] * (len(producer.sent) - 2)  # all but each last one
    expected = [(f"a{i}", list(record(i))) for i in range(150)] + [("a7", list(record(2000)))]
    assert got == {0: expected, 1: [("b", list(record(1000)))]}
    assert all(AgentRecord.decode(v) == record(int(v[-1])) for _, v in got[0])
