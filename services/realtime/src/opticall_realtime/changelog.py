"""The ``agent-state`` changelog writes, in whole record batches, off Faust's producer buffer.

Faust sends each table write through ``Topic.send_soon`` and its ``ProducerBuffer``: a
``FutureMessage``, a codec pass and a buffer task hop per record. Even aiokafka's own
``send`` costs a future, a metadata lookup and an accumulator pass per record. The fold
writes one partition's changes at a time (a folded batch all comes from one partition), so
``ChangelogWriter`` fills aiokafka ``BatchBuilder``s (C-accelerated appends) and hands them
to Faust's own producer with ``send_batch``, one per partition with everything queued, in
order, from one task.

Records are encoded as they go into a batch, not when queued: each encoded value is then
freed as soon as the batch has copied it. Encoded up front and held in the queue, every value
kept a fresh allocation alive (the encoder sizes its buffer generously, then shrinks it) and
the encoding cost ~5x more on the fold benchmark (2.1 vs 0.4 us a record).

Durability is unchanged: the offsets of a folded batch are acked (so they may be committed)
only after its changelog writes are in the producer, and Faust flushes that producer before
it commits. A crash before that re-delivers the records; the fold is idempotent.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec
from faust.types import AppT

log = logging.getLogger(__name__)

# One partition's writes: (partition, {key: record}, called once they are all sent). The fold
# hands over its batch's dict of final records as it is: no (key, record) pair per write to
# allocate, then keep alive (and walked by the garbage collector) until it is sent.
Writes = Mapping[str, tuple[Any, ...]]
Entry = tuple[int, Writes, Callable[[], None] | None]


# msgspec writes a NamedTuple as the JSON array it is (orjson refuses tuple subclasses: it
# needed a list copy first, 0.38 against 0.30 us a record).
encode_record = msgspec.json.Encoder().encode
# aiokafka's record builder takes a list of headers; it only reads it.
_NO_HEADERS: list[tuple[str, bytes]] = []


class ChangelogWriter:
    # Back-pressure: past ``high`` queued writes the consumer waits (``inline.drain_messages``)
    # until they are down to ``low``. Unbounded, the fold outran the producer and the queue
    # inflated RSS per agent ~3x on the benchmark (when it held encoded values). A queued
    # write now holds only references to the agent id and its record, both kept anyway.
    high = 20000
    low = 5000

    def __init__(self, app: AppT, topic: str) -> None:
        self.app = app
        self.topic = topic
        self.pending: collections.deque[Entry] = collections.deque()
        self.queued = 0  # records in ``pending``
        self._ebbed = asyncio.Event()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()  # set whenever nothing is queued
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    def put(self, key: str, value: tuple[Any, ...], partition: int) -> None:
        """Queue one write (timers, schedule changes: no source record to ack)."""
        self.put_many(partition, {key: value}, None)

    def put_many(
        self,
        partition: int,
        writes: Writes,
        on_sent: Callable[[], None] | None,
    ) -> None:
        """Queue a partition's writes; ``on_sent`` runs once they and all before are sent."""
        if not writes and not self.pending:
            if on_sent is not None:
                on_sent()  # nothing to wait for
            return
        self.pending.append((partition, writes, on_sent))
        self.queued += len(writes)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="changelog")
        self._idle.clear()
        self._wake.set()

    async def _run(self) -> None:
        producer: Any = None
        pending = self.pending
        while True:
            await self._wake.wait()
            self._wake.clear()
            while pending:
                # Everything queued so far goes out as one batch per partition: while a batch
                # is in flight (aiokafka holds one per partition) the next one grows, so the
                # writer keeps up however small the fold's batches are.
                entries = list(pending)
                by_partition: dict[int, list[Writes]] = {}
                for partition, writes, _ in entries:
                    if writes:
                        by_partition.setdefault(partition, []).append(writes)
                try:
                    if producer is None:
                        producer = self.app.producer._ensure_producer()  # type: ignore[attr-defined]
                    await asyncio.gather(
                        *(self._send(producer, p, w) for p, w in by_partition.items())
                    )
                except Exception:  # a broker hiccup: keep the order, send the same again
                    log.exception("changelog write failed; retrying")
                    producer = None
                    await asyncio.sleep(1)
                    continue
                for _ in entries:
                    _, writes, on_sent = pending.popleft()
                    self.queued -= len(writes)
                    if on_sent is not None:
                        on_sent()
                if self.queued <= self.low:
                    self._ebbed.set()
            self._idle.set()

    async def _send(self, producer: Any, partition: int, queued: Sequence[Writes]) -> None:
        # Returns once each batch is in aiokafka's accumulator (it waits while the
        # partition's previous batch is still unsent).
        #
        # Records go straight to the batch's C record builder, as ``BatchBuilder.append``
        # passes them on: that method's keyword arguments and serializer checks cost three
        # times the append itself (0.99 against 0.23-0.37 us a record). What it keeps, the
        # count of records (``record_count``) and closing a full batch, is done here.
        batch = producer.create_batch()
        append, n = batch._builder.append, 0
        for writes in queued:
            for agent_id, record in writes.items():
                key, value = agent_id.encode(), encode_record(record)
                if append(n, None, key, value, _NO_HEADERS) is None:  # full: send it
                    batch._relative_offset = n
                    batch.close()
                    await producer.send_batch(batch, self.topic, partition=partition)
                    batch = producer.create_batch()
                    append, n = batch._builder.append, 0
                    append(n, None, key, value, _NO_HEADERS)
                n += 1
        if n:
            batch._relative_offset = n
            await producer.send_batch(batch, self.topic, partition=partition)

    def backlogged(self) -> bool:
        return self.queued > self.high

    async def wait_until_ebb(self) -> None:
        self._ebbed.clear()
        if self.queued > self.low:
            await self._ebbed.wait()

    async def stop(self) -> None:
        """Send what is queued (while the producer still runs), then stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), 5.0)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
