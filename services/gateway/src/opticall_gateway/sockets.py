"""How many realtime WebSockets each user holds open in this gateway process."""

from __future__ import annotations

import collections


class SocketCounter:
    """Counts per user; a user's entry is dropped when their last socket closes."""

    def __init__(self) -> None:
        self._open: collections.Counter[str] = collections.Counter()

    def try_open(self, user: str, limit: int) -> bool:
        """Count one more socket for ``user``, unless they already hold ``limit``."""
        if self._open[user] >= limit:
            if not self._open[user]:
                del self._open[user]
            return False
        self._open[user] += 1
        return True

    def close(self, user: str) -> None:
        self._open[user] -= 1
        if self._open[user] <= 0:
            del self._open[user]

    def held(self, user: str) -> int:
        return self._open.get(user, 0)

    @property
    def total(self) -> int:
        return sum(self._open.values())
