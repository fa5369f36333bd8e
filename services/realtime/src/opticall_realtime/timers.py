"""One task waking each agent at its next adherence boundary (shift, activity, grace end)."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import time
from collections.abc import Callable


class DueTimer:
    """Calls ``fire(agent_id, now)`` once the latest time armed for that agent has passed."""

    def __init__(self, fire: Callable[[str, float], None]) -> None:
        self.fire = fire
        self._due: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._wake = asyncio.Event()

    def arm(self, agent_id: str, due: float) -> None:
        if self._due.get(agent_id) == due:
            return
        self._due[agent_id] = due
        heapq.heappush(self._heap, (due, agent_id))
        if self._heap[0][1] == agent_id:
            self._wake.set()

    async def run(self) -> None:
        while True:
            now = time.time()
            while self._heap and self._heap[0][0] <= now:
                due, agent_id = heapq.heappop(self._heap)
                if self._due.get(agent_id) != due:
                    continue  # superseded by a later arm
                del self._due[agent_id]
                self.fire(agent_id, now)
            delay = min(self._heap[0][0] - now, 1.0) if self._heap else 1.0
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                # A hair past the boundary so the new segment is the one we see.
                await asyncio.wait_for(self._wake.wait(), max(delay, 0) + 0.005)
