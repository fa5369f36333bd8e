"""The batch fold's stand-ins for Faust's per-message ack and its inline commit."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any, cast

import pytest
from faust.types import TP

from opticall_realtime.inline import _commit_in_background, ack_offsets

TP0 = TP("agent-events", 0)


class FakeConsumer:
    """The bookkeeping ``Consumer.ack`` keeps, and nothing else."""

    def __init__(self, committed: int | None = None) -> None:
        self._committed_offset: dict[TP, int | None] = defaultdict(lambda: committed)
        self._acked_index: dict[TP, set[int]] = defaultdict(set)
        self._acked: dict[TP, list[int]] = defaultdict(list)
        self._n_acked = 0
        self._waiting_for_ack = None


def ack(consumer: FakeConsumer, offsets: list[int]) -> None:
    ack_offsets(cast(Any, consumer), TP0, offsets)


def test_a_fetched_batch_is_acked_whole() -> None:
    consumer = FakeConsumer()
    ack(consumer, [5, 6, 7])
    assert consumer._acked[TP0] == [5, 6, 7]
    assert consumer._acked_index[TP0] == {5, 6, 7}
    assert consumer._n_acked == 3


def test_offsets_acked_before_are_not_counted_twice() -> None:
    consumer = FakeConsumer()
    ack(consumer, [5, 6])
    ack(consumer, [6, 7, 8])  # a redelivery overlapping what was acked
    assert consumer._acked[TP0] == [5, 6, 7, 8]
    assert consumer._n_acked == 4


def test_offsets_below_the_committed_one_are_ignored() -> None:
    consumer = FakeConsumer(committed=10)
    ack(consumer, [8, 9, 10, 11])
    assert consumer._acked[TP0] == [10, 11]
    assert consumer._n_acked == 2


def test_nothing_to_ack_is_a_no_op() -> None:
    consumer = FakeConsumer()
    ack(consumer, [])
    assert consumer._n_acked == 0
    assert not consumer._acked[TP0]


class FakeCommitter:
    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail
        self.release = asyncio.Event()
        self.log = logging.getLogger("test")

    async def commit(self) -> bool:
        self.calls += 1
        await self.release.wait()
        if self.fail:
            raise RuntimeError("broker went away")
        return True


async def test_commits_run_beside_the_drain_one_at_a_time() -> None:
    consumer = FakeCommitter()
    running: set[asyncio.Future[Any]] = set()
    _commit_in_background(cast(Any, consumer), running)
    _commit_in_background(cast(Any, consumer), running)  # one is still going: not another
    await asyncio.sleep(0)
    assert consumer.calls == 1 and len(running) == 1
    consumer.release.set()
    await asyncio.gather(*running)
    await asyncio.sleep(0)
    assert not running
    _commit_in_background(cast(Any, consumer), running)
    await asyncio.gather(*running)
    assert consumer.calls == 2


async def test_a_failed_commit_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    consumer = FakeCommitter(fail=True)
    consumer.release.set()
    running: set[asyncio.Future[Any]] = set()
    _commit_in_background(cast(Any, consumer), running)
    await asyncio.gather(*running, return_exceptions=True)
    await asyncio.sleep(0)
    assert not running
    assert "commit failed" in caplog.text


def test_new_offset_commits_what_faust_would() -> None:
    import random

    from faust.transport.consumer import Consumer
    from intervaltree import IntervalTree

    from opticall_realtime.inline import new_offset

    def consumer_with(acked: list[int], committed: int | None, gap: bool) -> Any:
        consumer = FakeConsumer(committed)
        consumer._acked[TP0] = list(acked)
        consumer._acked_index[TP0] = set(acked)
        consumer._gap = defaultdict(IntervalTree)  # type: ignore[attr-defined]
        if gap:
            consumer._gap[TP0].addi(acked[-1] + 1, acked[-1] + 3)  # type: ignore[attr-defined]
        return consumer

    rng = random.Random(7)
    for _ in range(2000):
        start = rng.randrange(100)
        acked = [o for o in range(start, start + rng.randrange(1, 60)) if rng.random() < 0.9]
        if not acked:
            continue
        rng.shuffle(acked)
        committed = rng.choice([None, 0, start - 1, start - 2, start])
        gap = rng.random() < 0.1
        ours, faust = consumer_with(acked, committed, gap), consumer_with(acked, committed, gap)
        assert new_offset(ours, TP0) == Consumer._new_offset(faust, TP0)
        assert ours._acked[TP0] == faust._acked[TP0]
        assert ours._acked_index[TP0] == faust._acked_index[TP0]
    assert new_offset(cast(Any, consumer_with([], None, False)), TP0) is None
