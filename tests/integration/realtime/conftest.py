"""Helpers for the realtime integration tests: Kafka straight to the suite's prefixed topics,
polling the live view through the gateway, and restarting the realtime process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import BaseModel

from opticall_common.kafka import EventPublisher
from tests.integration.suite import Suite

T = TypeVar("T")

# Short graces so adherence flips within seconds (the realtime process is restarted with them).
FAST_GRACE = '{"work": 2, "break": 2, "lunch": 2, "meeting": 2, "training": 2, "unscheduled": 2}'


def publish(bootstrap: str, prefix: str, topic: str, items: list[tuple[str, BaseModel]]) -> None:
    async def go() -> None:
        pub = EventPublisher(bootstrap, "it-realtime", prefix)
        await pub.start()
        try:
            await pub.publish_many(topic, items)
        finally:
            await pub.stop()

    asyncio.run(go())


def publish_raw(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    from aiokafka import AIOKafkaProducer

    async def go() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for key, value in records:
                await producer.send_and_wait(topic, value, key=key)
        finally:
            await producer.stop()

    asyncio.run(go())


def eventually(fetch: Callable[[], T], ok: Callable[[T], bool], timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    last = fetch()
    while not ok(last):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"condition not met within {timeout}s; last value: {last!r}"[:3000]
            )
        time.sleep(0.2)
        last = fetch()
    return last


def agents_by_id(client: httpx.Client, **params: Any) -> dict[str, dict[str, Any]]:
    resp = client.get("/realtime", params=params)
    assert resp.status_code == 200, resp.text
    return {a["agent_id"]: a for a in resp.json()["agents"]}


def restart_realtime(suite: Suite, extra_env: dict[str, str] | None = None) -> None:
    suite.restart("realtime", extra_env)


@pytest.fixture(scope="module")
def fast_grace(suite: Suite) -> Iterator[None]:
    """Run this module against a realtime process with 2-second graces; restore it after."""
    restart_realtime(suite, {"REALTIME_ADHERENCE_GRACE_SECONDS": FAST_GRACE})
    try:
        yield
    finally:
        restart_realtime(suite)


@pytest.fixture(scope="module")
def admin(suite: Suite) -> Iterator[httpx.Client]:
    with suite.client(suite.admin_token()) as client:
        yield client
