"""Faust's consumer and conductor with the per-event task hops taken out of the fold's path.

Measured on the benchmark machine (20,000 records, 3 partitions), a Faust agent that does
nothing reaches ~4,500 events/s while aiokafka decoding and validating each record reaches
~22,000. Two per-record costs make the difference, and both are removed here:

- ``Consumer._drain_messages`` runs every record's conductor callback through
  ``wait_first(callback, suspend_flow.wait())``: four tasks and an ``asyncio.wait`` per
  record, so a rebalance can interrupt a callback that blocks. ``drain_messages`` below is the
  same loop, but it first runs the callback one step inline; only a callback that actually
  blocks (flow control, producer back-pressure) is finished under ``wait_first`` as before.
- A stream hands each event through a queue to the agent's task (two more task switches).
  ``InlineQueue`` takes the conductor's ``put_nowait`` and calls the fold at once, in the
  consumer's own loop; the fold acks the message itself, so commits cover only folded records.

Everything else stays Faust: the consumer group and its assignment, offsets and commits,
the conductor, the table, its changelog and its recovery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Generator
from typing import Any, cast

from faust.transport.consumer import CONSUMER_FETCHING, Consumer
from faust.types import EventT


class InlineQueue:
    """Stands in for a channel's buffer: each event the conductor delivers is handled at once."""

    def __init__(self, handle: Callable[[EventT[Any]], None]) -> None:
        self.handle = handle

    def full(self) -> bool:
        return False

    def empty(self) -> bool:
        return True

    def put_nowait_enhanced(self, value: EventT[Any], **_: Any) -> None:
        self.handle(value)


class _Rest:
    """Awaitable that finishes a coroutine whose first step already ran and yielded ``first``.

    A trampoline with ``yield from`` semantics: it forwards what the task sends or throws
    (cancellation included) into the coroutine.
    """

    __slots__ = ("coro", "first")

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        self.coro = coro
        self.first = first

    def __await__(self) -> Generator[Any, None, Any]:
        pending = self.first
        while True:
            try:
                sent = yield pending
            except BaseException as exc:  # forwarded into the coroutine, never swallowed
                try:
                    pending = self.coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    pending = self.coro.send(sent)
                except StopIteration as stop:
                    return stop.value


async def drain_messages(self: Consumer, fetcher: Any) -> None:
    """``faust.transport.consumer.Consumer._drain_messages`` with the inline first step.

    Same loop as faust-streaming 0.15.3's (gap tracking, commit-every, read offsets, shutdown
    handling) apart from how the callback is awaited.
    """
    try:
        await _drain(self, fetcher)
    except (asyncio.CancelledError, *self.consumer_stopped_errors):  # type: ignore[misc]
        if self.transport.app.should_stop:
            return  # shutting down, as Faust's loop does
        raise
    finally:
        self.diag.unset_flag(CONSUMER_FETCHING)


async def _drain(self: Consumer, fetcher: Any) -> None:
    callback = self.callback
    getmany = self.getmany
    consumer_should_stop = self._stopped.is_set
    fetcher_should_stop = fetcher._stopped.is_set
    get_read_offset = self._read_offset.__getitem__
    set_read_offset = self._read_offset.__setitem__
    commit_every = self._commit_every
    acks_enabled_for = self.app.topics.acks_enabled_for
    # Optional back-pressure from whatever the inline handler writes to (changelog.py).
    writer = getattr(self.app, "changelog_writer", None)
    since_yield = 0
    while not (consumer_should_stop() or fetcher_should_stop()):
        self.diag.set_flag(CONSUMER_FETCHING)
        ait = getmany(timeout=1.0)
        await asyncio.sleep(0)
        if not self.should_stop:
            async for tp, message in ait:
                since_yield += 1
                if since_yield > 100:
                    await asyncio.sleep(0)
                    since_yield = 0
                offset = message.offset
                r_offset = get_read_offset(tp)
                if r_offset is not None and offset < r_offset:
                    continue  # already delivered (Faust drops these too)
                gap = offset - (r_offset or 0)
                if gap > 1 and r_offset and acks_enabled_for(message.topic):
                    await self._add_gap(tp, r_offset + 1, offset)
                if commit_every is not None and self._n_acked >= commit_every:
                    self._n_acked = 0
                    await self.commit()
                if writer is not None and writer.backlogged():
                    await self.wait_first(writer.wait_until_ebb(), self.suspend_flow.wait())
                coro = cast(Coroutine[Any, Any, Any], callback(message))
                try:
                    first = coro.send(None)
                except StopIteration:
                    pass  # handled without blocking: the common case, no task at all
                else:
                    await self.wait_first(_Rest(coro, first), self.suspend_flow.wait())
                set_read_offset(tp, offset)
            self.diag.unset_flag(CONSUMER_FETCHING)
