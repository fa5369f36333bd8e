"""Reading ``schedule-changes`` in tests: a fresh consumer group from the earliest offset."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer

from opticall_common.events import ScheduleChange


async def _read(
    bootstrap: str, topic: str, done: Callable[[list[ScheduleChange]], bool], timeout: float
) -> list[ScheduleChange]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,  # the topic may be created after we subscribe
    )
    await consumer.start()
    seen: list[ScheduleChange] = []
    deadline = time.monotonic() + timeout
    try:
        while not done(seen) and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    assert record.value is not None
                    change = ScheduleChange.model_validate_json(record.value)
                    assert record.key == change.agent_id.encode()
                    seen.append(change)
    finally:
        await consumer.stop()
    return seen


def read_changes(
    bootstrap: str,
    topic: str,
    done: Callable[[list[ScheduleChange]], bool],
    timeout: float = 60.0,
) -> list[ScheduleChange]:
    """Every change on ``topic`` until ``done(changes)`` holds or ``timeout`` passes."""
    return asyncio.run(_read(bootstrap, topic, done, timeout))


def dedupe(changes: list[ScheduleChange]) -> list[ScheduleChange]:
    """What a consumer keeps: the first copy of each ``change_id``."""
    seen: set[str] = set()
    out = []
    for change in changes:
        if change.change_id not in seen:
            seen.add(change.change_id)
            out.append(change)
    return out
