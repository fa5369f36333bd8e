"""Admission control for argon2 work: a few hashes at once, off the event loop, bounded waits.

A hash is pure CPU (and ``memory_kib`` of RAM), so running more at once than there are cores
only makes every one of them slower; queueing without a bound turned a 200-user login burst
into gateway timeouts. Here at most ``concurrency`` hashes run, each in a dedicated thread;
others wait in FIFO order, and an arrival whose expected wait exceeds ``max_wait`` is refused
at once with :class:`Overloaded` (503 and ``Retry-After``), as is one that did wait that long.

A slot is freed when its hash finishes, not when the request that asked for it goes away: a
hash cannot be interrupted, so freeing it early would let more than ``concurrency`` run.
"""

from __future__ import annotations

import asyncio
import collections
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from opticall_auth.metrics import HASH_REJECTED, HASH_WAITING
from opticall_common.problems import Problem

P = ParamSpec("P")
T = TypeVar("T")

# Weight of the newest hash in the running mean of hash time: adapts within ~10 hashes.
_SMOOTHING = 0.2


def _granted(waiter: asyncio.Future[None]) -> bool:
    return waiter.done() and not waiter.cancelled()


class Overloaded(Problem):
    """Too many hashes queued: answered 503 with the seconds after which to try again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            503,
            "too many logins at once; try again shortly",
            headers={"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )
        self.retry_after = retry_after


class HashLimiter:
    def __init__(
        self, concurrency: int, max_wait_seconds: float, *, seconds_per_hash: float = 0.1
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self.max_wait = max_wait_seconds
        self.seconds_per_hash = seconds_per_hash
        self._in_use = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._executor = ThreadPoolExecutor(concurrency, thread_name_prefix="argon2")

    @property
    def in_use(self) -> int:
        """Slots held: hashes running, or about to be handed to a thread."""
        return self._in_use

    @property
    def waiting(self) -> int:
        # Waiters leave the deque when served (release) or when they give up (acquire).
        return len(self._waiters)

    def expected_wait(self) -> float:
        """Seconds a request arriving now would wait for a slot, from the mean hash time."""
        if self._in_use < self.concurrency:
            return 0.0
        return (self.waiting + 1) / self.concurrency * self.seconds_per_hash

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args)`` in a hashing thread once a slot is free; :class:`Overloaded` if busy."""
        await self.acquire()
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self._executor, lambda: self._timed(fn, args, kwargs))
        except BaseException:
            self.release()
            raise
        future.add_done_callback(self._finished)
        # Shielded: a cancelled request stops waiting, but the slot stays held until the hash
        # is really over (see _finished).
        return await asyncio.shield(future)

    async def acquire(self) -> None:
        """Take a slot, waiting at most ``max_wait``; refuse at once if that is already hopeless."""
        if self._in_use < self.concurrency and not self.waiting:
            self._in_use += 1
            return
        expected = self.expected_wait()
        if expected > self.max_wait:
            raise self._reject(expected)
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        HASH_WAITING.inc()
        try:
            async with asyncio.timeout(self.max_wait):
                await waiter
        except TimeoutError:
            # A slot handed over in the very instant the deadline passed is ours: use it.
            if not _granted(waiter):
                raise self._reject(self.expected_wait()) from None
        except BaseException:
            # Handed a slot in the same instant we were cancelled: pass it on, never drop it.
            if _granted(waiter):
                self.release()
            raise
        finally:
            HASH_WAITING.dec()
            if not waiter.done():
                waiter.cancel()
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def release(self) -> None:
        """Free a slot: straight to the oldest live waiter, so arrivals cannot jump the queue."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._in_use -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _reject(self, expected: float) -> Overloaded:
        HASH_REJECTED.inc()
        # When the queue ahead should be drained; never 0, which would invite a hot loop.
        return Overloaded(max(1, math.ceil(expected)))

    def _timed(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            # Written from hashing threads, read on the loop: a float store is atomic.
            self.seconds_per_hash += _SMOOTHING * (elapsed - self.seconds_per_hash)

    def _finished(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled():
            future.exception()  # retrieved, so an abandoned request's error is not logged twice
        self.release()
