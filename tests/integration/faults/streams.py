"""Agent-event streams for the fault tests and their expected fold."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx

from opticall_common.events import AgentEvent

T = TypeVar("T")

STATES = ["available", "on_call", "after_call_work", "break", "lunch", "not_ready", "meeting"]


def messy_stream(
    run: str, agents: int, per_agent: int, duplicates: int, start: datetime
) -> list[AgentEvent]:
    """``agents * per_agent`` events plus ``duplicates`` resent copies, shuffled."""
    rng = random.Random(f"{run}{start}")
    events = [
        AgentEvent(
            event_id=uuid.UUID(int=rng.getrandbits(128)).hex,
            agent_id=f"f-{run}-{a}",
            state=rng.choice(STATES),
            timestamp=start + timedelta(seconds=i * 5 + rng.random()),
            queue=f"q-{run}",
            source="faults",
        )
        for a in range(agents)
        for i in range(per_agent)
    ]
    messy = events + rng.sample(events, duplicates)
    rng.shuffle(messy)
    return messy


def fold(stream: list[AgentEvent]) -> dict[str, tuple[str, str]]:
    """What ``GET /realtime`` must show, straight from the contract rather than the service's
    code: per agent, the state and id of the event with the newest ``(timestamp, event_id)``."""
    newest: dict[str, AgentEvent] = {}
    for ev in stream:
        cur = newest.get(ev.agent_id)
        if cur is None or (ev.timestamp, ev.event_id) > (cur.timestamp, cur.event_id):
            newest[ev.agent_id] = ev
    return {aid: (ev.state.value, ev.event_id) for aid, ev in newest.items()}


def realtime_view(client: httpx.Client, queue: str) -> dict[str, tuple[str, str]]:
    resp = client.get("/realtime", params={"queue": queue})
    if resp.status_code != 200:
        return {}
    return {a["agent_id"]: (a["state"], a["last_event_id"]) for a in resp.json()["agents"]}


def eventually(fetch: Callable[[], T], ok: Callable[[T], bool], timeout: float) -> T:
    deadline = time.monotonic() + timeout
    last = fetch()
    while not ok(last):
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout}s; last: {last!r}"[:2000])
        time.sleep(0.5)
        last = fetch()
    return last


def body(events: list[AgentEvent]) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json") for e in events]


def now() -> datetime:
    return datetime.now(UTC)
