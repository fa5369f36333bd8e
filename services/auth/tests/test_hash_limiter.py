"""The hashing limiter: a cap on concurrent hashes, a bounded wait, no slot ever lost."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable

import pytest

from opticall_auth.hash_limiter import HashLimiter, Overloaded


@pytest.fixture
async def gate() -> AsyncIterator[threading.Event]:
    """Opened at the end of each test, so no blocked hashing thread outlives it."""
    event = threading.Event()
    yield event
    event.set()


def blocker(gate: threading.Event) -> Callable[[], str]:
    def work() -> str:
        assert gate.wait(30), "the test never opened the gate"
        return "done"

    return work


async def until(predicate: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not predicate():
            await asyncio.sleep(0.005)


async def test_runs_off_the_loop_and_caps_concurrency(gate: threading.Event) -> None:
    limiter = HashLimiter(2, max_wait_seconds=10, seconds_per_hash=0.001)
    running = [asyncio.create_task(limiter.run(blocker(gate))) for _ in range(5)]
    await until(lambda: limiter.waiting == 3)
    assert limiter.in_use == 2  # two run, three queue: never more than the cap
    gate.set()
    assert await asyncio.gather(*running) == ["done"] * 5
    assert (limiter.in_use, limiter.waiting) == (0, 0)
    limiter.close()


async def test_saturated_refuses_at_once_with_retry_after(gate: threading.Event) -> None:
    # The expected wait (queue x mean hash time / slots) is past the budget: no queueing.
    limiter = HashLimiter(1, max_wait_seconds=1.0, seconds_per_hash=2.5)
    busy = asyncio.create_task(limiter.run(blocker(gate)))
    await until(lambda: limiter.in_use == 1)
    with pytest.raises(Overloaded) as refused:
        await limiter.run(str, "never runs")
    assert refused.value.status == 503
    assert refused.value.headers == {"Retry-After": "3"}  # ceil(2.5 s): when the queue drains
    assert limiter.waiting == 0
    gate.set()
    assert await busy == "done"
    assert await limiter.run(str, "runs") == "runs"  # the slot came back
    limiter.close()


async def test_a_wait_past_the_budget_is_refused_not_held(gate: threading.Event) -> None:
    # The estimate admits the request, but the hash ahead takes longer than the budget.
    limiter = HashLimiter(1, max_wait_seconds=0.05, seconds_per_hash=0.001)
    busy = asyncio.create_task(limiter.run(blocker(gate)))
    await until(lambda: limiter.in_use == 1)
    with pytest.raises(Overloaded) as refused:
        await limiter.run(str, "never runs")
    assert int(refused.value.headers["Retry-After"]) >= 1  # type: ignore[index]
    assert (limiter.in_use, limiter.waiting) == (1, 0)
    gate.set()
    await busy
    assert limiter.in_use == 0
    limiter.close()


async def test_a_cancelled_waiter_loses_no_slot(gate: threading.Event) -> None:
    limiter = HashLimiter(1, max_wait_seconds=10, seconds_per_hash=0.001)
    busy = asyncio.create_task(limiter.run(blocker(gate)))
    await until(lambda: limiter.in_use == 1)
    waiter = asyncio.create_task(limiter.run(str, "never runs"))
    await until(lambda: limiter.waiting == 1)
    waiter.cancel()  # the client went away while queued
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert (limiter.in_use, limiter.waiting) == (1, 0)
    gate.set()
    await busy
    assert limiter.in_use == 0
    assert await limiter.run(str, "next") == "next"
    limiter.close()


async def test_a_slot_handed_over_as_the_waiter_is_cancelled_is_passed_on() -> None:
    limiter = HashLimiter(1, max_wait_seconds=10)
    await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await until(lambda: limiter.waiting == 1)
    limiter.release()  # hands the slot to the waiter...
    waiter.cancel()  # ...which is cancelled before it can resume
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert (limiter.in_use, limiter.waiting) == (0, 0)
    limiter.close()


async def test_a_cancelled_request_holds_its_slot_until_the_hash_ends(
    gate: threading.Event,
) -> None:
    """A hash cannot be interrupted: freeing its slot early would break the cap."""
    limiter = HashLimiter(1, max_wait_seconds=10, seconds_per_hash=0.001)
    request = asyncio.create_task(limiter.run(blocker(gate)))
    await until(lambda: limiter.in_use == 1)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    assert limiter.in_use == 1  # the thread is still hashing
    gate.set()
    await until(lambda: limiter.in_use == 0)
    assert await limiter.run(str, "next") == "next"
    limiter.close()


async def test_a_failing_hash_frees_its_slot() -> None:
    limiter = HashLimiter(1, max_wait_seconds=10)

    def broken() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await limiter.run(broken)
    assert limiter.in_use == 0
    limiter.close()


async def test_the_mean_hash_time_follows_measurements() -> None:
    limiter = HashLimiter(1, max_wait_seconds=10, seconds_per_hash=5.0)
    for _ in range(30):
        await limiter.run(str, "fast")
    assert limiter.seconds_per_hash < 0.1
    limiter.close()
