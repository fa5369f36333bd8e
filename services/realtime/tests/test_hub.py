"""WebSocket fan-out: filters, and a slow client is resynced instead of stalling others."""

from __future__ import annotations

import orjson

from opticall_realtime.hub import RESYNC, Filters, Hub
from opticall_realtime.record import AgentRecord


def rec(state: str, queue: str, seq: int = 1) -> AgentRecord:
    return AgentRecord(state, 1.0, 1.0, "e", queue, None, "in", "work", None, seq)


async def test_overflowing_client_is_resynced_and_others_keep_every_delta() -> None:
    hub = Hub(queue_size=5)
    slow = hub.add(Filters())
    fast = hub.add(Filters())
    for i in range(20):
        hub.publish(f"a{i}", rec("on_call", "sales"))
        while not fast.queue.empty():  # the fast client keeps up
            msg = orjson.loads(fast.queue.get_nowait())
            assert msg["agent"]["agent_id"] == f"a{i}"
    assert slow.resync_pending and slow.resyncs == 1
    assert slow.queue.qsize() == 1 and slow.queue.get_nowait() == RESYNC


def test_filters_accept_lists_and_comma_separated_values() -> None:
    f = Filters.of(["sales,support"], None, ["out"])
    assert f.queues == frozenset({"sales", "support"})
    assert not f.match(rec("on_call", "sales"))
    assert f.match(rec("on_call", "sales")._replace(adherence="out"))
    assert not Filters.of(["billing"]).match(rec("on_call", "sales"))
