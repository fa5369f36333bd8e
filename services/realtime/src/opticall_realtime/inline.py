"""Faust's consumer drain loop, handing whole fetched batches of a topic to one handler.

Faust delivers every record alone: ``getmany`` wraps it in a ``ConsumerMessage``, the
conductor awaits flow control and the producer buffer, decodes it through the serializer
registry, builds an ``Event`` and puts it into a channel queue for an agent task; the stream
then acks it. Profiled on the benchmark that machinery, not the fold, took most of each
event's time. ``drain_messages`` replaces ``Consumer._drain_messages`` (faust-streaming
0.15.3) with the same loop over the same fetches (flow control, generation checks, gap
tracking, commit-every, read offsets, shutdown handling), except that:

- records of a topic with a *batch handler* (``app.batch_handlers``, keyed by topic name) go
  to it as one list per partition, as aiokafka fetched them; the handler folds them
  synchronously and acks their offsets itself (``ack_offsets``) once they are durable;
- other records keep Faust's per-message conductor path, but their callback runs one step
  inline; only a callback that really blocks is finished under ``wait_first`` as before.

Everything else stays Faust: the consumer group and its assignment, offsets and commits,
the conductor and subscriptions, the tables, their changelogs and their recovery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Generator, Sequence
from typing import Any, cast

from aiokafka import ConsumerRecord
from faust.transport.consumer import CONSUMER_FETCHING, Consumer
from faust.types import TP
from faust.types.transports import ConsumerT
from faust.types.tuples import ack_lock
from mode.utils.futures import notify

BatchHandler = Callable[[TP, Sequence[ConsumerRecord[bytes, bytes]]], None]


def ack_offsets(app_consumer: ConsumerT, tp: TP, offsets: Sequence[int]) -> None:
    """``Consumer.ack`` for distinct offsets handled without a Faust ``Message`` each."""
    consumer = cast(Consumer, app_consumer)
    if not offsets:
        return
    with ack_lock:
        committed = consumer._committed_offset[tp]
        index = consumer._acked_index[tp]
        acked = consumer._acked[tp]
        if committed is not None and min(offsets) < committed:
            offsets = [o for o in offsets if o >= committed]  # redelivered, already committed
        if index.isdisjoint(offsets):
            # The usual case, a fetched batch acked once: set and list take it whole.
            index.update(offsets)
            acked.extend(offsets)
            n = len(offsets)
        else:
            n = 0
            for offset in offsets:
                if offset not in index:
                    index.add(offset)
                    acked.append(offset)
                    n += 1
        consumer._n_acked += n
        notify(consumer._waiting_for_ack)


def new_offset(self: Consumer, tp: TP) -> int | None:
    """``Consumer._new_offset`` finding the first run of consecutive acked offsets by bisection.

    Faust walks every acked offset with ``itertools.groupby`` and a lambda (``consecutive_numbers``)
    at each commit: about 1 us an event on the fold benchmark, 3% of the fold. Acked offsets
    are unique (``_acked_index``) and sorted here, so ``acked[i] - i`` never decreases and
    the run is the prefix where it equals ``acked[0]``. With gaps to fill in (compaction,
    transaction markers) or anything unexpected, Faust's own method runs.
    """
    acked = self._acked[tp]
    if not acked:
        return None
    index = self._acked_index[tp]
    if self._gap[tp] or len(acked) != len(index):
        return _faust_new_offset(self, tp)
    acked.sort()
    first = acked[0]
    committed = self._committed_offset[tp]
    if committed and first - committed > 1:
        return None  # the next offset to commit is not acked yet (as Faust)
    lo, hi = 1, len(acked)
    while lo < hi:
        mid = (lo + hi) // 2
        if acked[mid] - mid == first:
            lo = mid + 1
        else:
            hi = mid
    index.difference_update(acked[:lo])
    del acked[:lo]
    return first + lo


_faust_new_offset = Consumer._new_offset


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
    """``faust.transport.consumer.Consumer._drain_messages`` with batch handlers."""
    try:
        await _drain(self, fetcher)
    except (asyncio.CancelledError, *self.consumer_stopped_errors):  # type: ignore[misc]
        if self.transport.app.should_stop:
            return  # shutting down, as Faust's loop does
        raise
    finally:
        self.diag.unset_flag(CONSUMER_FETCHING)


async def _drain(self: Consumer, fetcher: Any) -> None:
    app = self.app
    consumer_should_stop = self._stopped.is_set
    fetcher_should_stop = fetcher._stopped.is_set
    get_read_offset = self._read_offset.__getitem__
    set_read_offset = self._read_offset.__setitem__
    acks_enabled_for = app.topics.acks_enabled_for
    handlers: dict[str, BatchHandler] = getattr(app, "batch_handlers", {})
    # Optional back-pressure from whatever the handlers write to (changelog.py).
    writer = getattr(app, "changelog_writer", None)
    commits: set[asyncio.Future[Any]] = set()
    while not (consumer_should_stop() or fetcher_should_stop()):
        self.diag.set_flag(CONSUMER_FETCHING)
        records, active = await self._wait_next_records(1.0)
        await asyncio.sleep(0)
        if not records or self.should_stop:
            continue
        if not self.flow_active:
            # As Faust's getmany: a fetch that raced a flow stop seeks back to committed.
            try:
                await self.perform_seek()
            except Exception as exc:
                self.log.warning(f"exception performing seek when flow not active {exc}")
            continue
        generation = app.consumer_generation_id
        for tp, batch in records.items():
            if not self.flow_active or app.consumer_generation_id != generation:
                break  # a rebalance began: the rest is fetched again for the new assignment
            if active is not None and tp not in active and tp not in self._buffered_partitions:
                continue
            r_offset = get_read_offset(tp)
            if r_offset is not None and batch[0].offset < r_offset:
                batch = [r for r in batch if r.offset >= r_offset]  # already delivered
                if not batch:
                    continue
            if r_offset and acks_enabled_for(tp.topic):
                # Offsets missing from the fetch (compaction, transaction markers) count as
                # acked, or the commit would wait for them forever (Faust's gap tracking).
                prev = r_offset
                for record in batch:
                    if record.offset - prev > 1:
                        await self._add_gap(tp, prev + 1, record.offset)
                    prev = record.offset
            if self._commit_every is not None and self._n_acked >= self._commit_every:
                self._n_acked = 0
                _commit_in_background(self, commits)
            if writer is not None and writer.backlogged():
                await self.wait_first(writer.wait_until_ebb(), self.suspend_flow.wait())
            app.monitor.track_tp_end_offset(tp, self.highwater(tp))
            handler = handlers.get(tp.topic)
            if handler is not None:
                handler(tp, batch)
            else:
                await _deliver(self, tp, batch, set_read_offset)
            set_read_offset(tp, batch[-1].offset)
        self.diag.unset_flag(CONSUMER_FETCHING)


def _commit_in_background(self: Consumer, running: set[asyncio.Future[Any]]) -> None:
    """Faust's every-N-acks commit, without stopping the drain loop while it runs.

    A commit flushes the producer (the changelog) and then commits offsets through the
    consumer's thread: ~45 ms on the benchmark, every 10,000 events, during which Faust's own
    loop (awaiting it inline) fetched and folded nothing, a tenth of its time. Only acked
    offsets are committed, and a record is acked once its changelog write is in the producer,
    which the commit flushes first, so running it alongside the fold commits nothing early.
    Faust lets one commit run at a time; a failed one is logged and the next one retries.
    """
    if running:
        return  # one is still going; it or the interval's next commit picks these up
    task = asyncio.ensure_future(self.commit())
    running.add(task)
    task.add_done_callback(_commit_done(self, running))


def _commit_done(
    self: Consumer, running: set[asyncio.Future[Any]]
) -> Callable[[asyncio.Future[Any]], None]:
    def done(task: asyncio.Future[Any]) -> None:
        running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.log.warning(f"commit failed; the next one retries: {task.exception()!r}")

    return done


async def _deliver(
    self: Consumer,
    tp: TP,
    batch: Sequence[ConsumerRecord[bytes, bytes]],
    set_read_offset: Callable[[TP, int], None],
) -> None:
    """Faust's own path, one message at a time (schedule changes, changelogs in recovery)."""
    callback = self.callback
    for n, record in enumerate(batch, 1):
        if n % 100 == 0:
            await asyncio.sleep(0)
        coro = cast(Coroutine[Any, Any, Any], callback(self._to_message(tp, record)))
        try:
            first = coro.send(None)
        except StopIteration:
            pass  # handled without blocking: the common case, no task at all
        else:
            await self.wait_first(_Rest(coro, first), self.suspend_flow.wait())
        set_read_offset(tp, record.offset)
