"""Reading the outbox's topics in tests: a fresh consumer group from the earliest offset."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from aiokafka import AIOKafkaConsumer
from pydantic import BaseModel

from opticall_common.events import ScheduleChange
from opticall_common.notifications import AgentNotification

M = TypeVar("M", bound=BaseModel)


async def _read(
    bootstrap: str,
    topic: str,
    model: type[M],
    key_field: str,
    done: Callable[[list[M]], bool],
    timeout: float,
) -> list[M]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,  # the topic may be created after we subscribe
    )
    await consumer.start()
    seen: list[M] = []
    deadline = time.monotonic() + timeout
    try:
        while not done(seen) and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    assert record.value is not None
                    event = model.model_validate_json(record.value)
                    assert record.key == str(getattr(event, key_field)).encode()
                    seen.append(event)
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
    return asyncio.run(_read(bootstrap, topic, ScheduleChange, "agent_id", done, timeout))


def read_notifications(
    bootstrap: str,
    topic: str,
    done: Callable[[list[AgentNotification]], bool],
    timeout: float = 60.0,
) -> list[AgentNotification]:
    """Every notification on ``topic`` (key: the agent) until ``done`` holds or ``timeout``."""
    return asyncio.run(_read(bootstrap, topic, AgentNotification, "agent_id", done, timeout))


def dedupe(changes: list[ScheduleChange]) -> list[ScheduleChange]:
    """What a consumer keeps: the first copy of each ``change_id``."""
    seen: set[str] = set()
    out = []
    for change in changes:
        if change.change_id not in seen:
            seen.add(change.change_id)
            out.append(change)
    return out
