"""``ack_offsets``: the batch fold's stand-in for Faust's per-message ``Consumer.ack``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from faust.types import TP

from opticall_realtime.inline import ack_offsets

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
