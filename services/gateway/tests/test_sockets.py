"""The per-user WebSocket count, and the memory given back after a burst of closes."""

from __future__ import annotations

import asyncio

import pytest

from opticall_gateway import sockets
from opticall_gateway.sockets import SocketCounter


async def test_counts_per_user_up_to_the_limit_and_forgets_idle_users(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sockets, "RELEASE_DELAY", 0.01)
    counter = SocketCounter()
    assert counter.try_open("a", 2) and counter.try_open("a", 2)
    assert not counter.try_open("a", 2)
    assert counter.try_open("b", 2)
    assert (counter.held("a"), counter.held("b"), counter.total) == (2, 1, 3)
    for user in ("a", "a", "b"):
        counter.close(user)
    assert counter.total == 0 and counter.held("a") == 0
    assert not counter._open  # no entry left behind for users without sockets


async def test_one_release_per_burst_of_closes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sockets, "RELEASE_DELAY", 0.05)
    trims: list[int] = []
    collections: list[int] = []
    monkeypatch.setattr(sockets.gc, "collect", lambda: collections.append(1) or 0)
    counter = SocketCounter()
    counter._trim = lambda: trims.append(1)
    for _ in range(5):
        assert counter.try_open("a", 10)
    for _ in range(5):
        counter.close("a")
    await asyncio.sleep(0.2)
    assert trims == [1] and collections == [1]


def test_malloc_trim_is_found_on_glibc() -> None:
    # This project's containers and CI run glibc; elsewhere the trim is simply skipped.
    assert sockets._malloc_trim() is not None
