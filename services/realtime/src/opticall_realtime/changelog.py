"""The ``agent-state`` changelog writes, without Faust's per-record producer-buffer cost.

Faust sends each table write through ``Topic.send_soon`` and its ``ProducerBuffer``: a
``FutureMessage``, a codec pass and a buffer task hop per record, and the conductor stops
feeding the fold whenever that buffer is behind. On the benchmark that buffer, not the fold,
set the pace. ``ChangelogWriter`` keeps one FIFO and hands records (JSON encoded once, with
orjson) straight to Faust's own aiokafka producer, in order, from one task.

Durability is unchanged: a folded record is acked (so its offset may be committed) only
after its changelog write is in the producer, and Faust flushes that producer before it
commits. A crash before that re-delivers the record; the fold is idempotent.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from typing import Any

import orjson
from faust.types import AppT, Message

log = logging.getLogger(__name__)

Write = tuple[bytes, bytes, int, Message | None]


class ChangelogWriter:
    # Back-pressure: past ``high`` queued writes the consumer waits (``inline.drain_messages``)
    # until they are down to ``low``. Unbounded, the fold outran the producer and the queue
    # (holding each source Message) inflated RSS per agent ~3x on the benchmark.
    high = 2000
    low = 500

    def __init__(self, app: AppT, topic: str) -> None:
        self.app = app
        self.topic = topic
        self.pending: collections.deque[Write] = collections.deque()
        self._ebbed = asyncio.Event()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()  # set whenever nothing is queued
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    def put(self, key: str, value: tuple[Any, ...], partition: int, source: Message | None) -> None:
        """Queue one write; ``source`` (the folded record, if any) is acked once it is sent."""
        self.pending.append((key.encode(), orjson.dumps(list(value)), partition, source))
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
                key, value, partition, source = pending[0]
                try:
                    if producer is None:
                        producer = self.app.producer._ensure_producer()  # type: ignore[attr-defined]
                    # Returns once the record is in aiokafka's batch (rarely suspends).
                    await producer.send(self.topic, value, key=key, partition=partition)
                except Exception:  # a broker hiccup: keep the order, retry
                    log.exception("changelog write failed; retrying")
                    producer = None
                    await asyncio.sleep(1)
                    continue
                pending.popleft()
                if source is not None:
                    source.ack(self.app.consumer)
                if len(pending) <= self.low:
                    self._ebbed.set()
            self._idle.set()

    def backlogged(self) -> bool:
        return len(self.pending) > self.high

    async def wait_until_ebb(self) -> None:
        self._ebbed.clear()
        if len(self.pending) > self.low:
            await self._ebbed.wait()

    async def stop(self) -> None:
        """Send what is queued (while the producer still runs), then stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), 5.0)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
