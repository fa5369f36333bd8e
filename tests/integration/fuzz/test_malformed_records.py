"""Malformed records on every consumed topic: dead-lettered, counted, and the consumer goes on.

For ``agent-events`` and ``schedule-changes`` (folded by realtime) and ``forecast-requests``
(run by forecasting): non-JSON, empty and null values, JSON of the wrong shape, invalid UTF-8,
deep nesting, wrong types, missing fields, huge values, wrong enums, naive timestamps and a null
key. All go to the partition a valid record then follows on. Each bad record must land on
``<topic>.dlq`` (found by its partition and offset), the consuming service's
``opticall_dlq_records_total`` must count them, and the valid record after them must be
processed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from opticall_common import topics
from opticall_common.events import (
    AgentEvent,
    ChangeOp,
    ForecastRequest,
    ScheduleChange,
    ShiftSnapshot,
)
from opticall_common.kafka import encode
from tests.integration.fuzz.records import (
    Bad,
    agent_event_garbage,
    dead_letters,
    dlq_count,
    forecast_request_garbage,
    schedule_change_garbage,
    send,
)
from tests.integration.suite import Suite

pytestmark = pytest.mark.timeout(300)


def eventually(fetch: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    last = fetch()
    while not ok(last):
        assert time.monotonic() < deadline, f"not reached in {timeout}s; last: {last!r}"[:2000]
        time.sleep(0.3)
        last = fetch()
    return last


def metrics(fuzz_suite: Suite, service: str) -> str:
    return httpx.get(fuzz_suite.stack.url(service) + "/metrics", timeout=10).text


def realtime_agent(admin: httpx.Client, agent: str) -> dict[str, Any]:
    resp = admin.get("/realtime")
    assert resp.status_code == 200, resp.text
    return next((a for a in resp.json()["agents"] if a["agent_id"] == agent), {})


def check_dead_letters(
    fuzz_suite: Suite, kafka: str, logical: str, service: str, key: str, bad: list[Bad], last: bytes
) -> None:
    physical = topics.topic(logical, fuzz_suite.topic_prefix)
    before = dlq_count(metrics(fuzz_suite, service), logical)
    where = send(kafka, physical, key, bad, last)
    letters = dead_letters(kafka, topics.dlq(physical), set(where))
    missing = [b.kind for b, w in zip(bad, where, strict=True) if w not in letters]
    assert not missing, f"not dead-lettered from {logical}: {missing}"
    for b, w in zip(bad, where, strict=True):
        letter = letters[w]
        assert letter["topic"] == physical and letter["error"], (b.kind, letter)
        if b.value and len(b.value) < 10_000:
            assert letter["value"] == b.value.decode(errors="replace"), b.kind
    eventually(
        lambda: dlq_count(metrics(fuzz_suite, service), logical),
        lambda now: now - before >= len(bad),
    )


def test_agent_events(fuzz_suite: Suite, kafka_bootstrap: str) -> None:
    agent = f"dlq-{uuid.uuid4().hex[:8]}"
    good = AgentEvent(agent_id=agent, state="on_call", timestamp=datetime.now(UTC))
    check_dead_letters(
        fuzz_suite,
        kafka_bootstrap,
        topics.AGENT_EVENTS,
        "realtime",
        agent,
        agent_event_garbage(agent),
        encode(good),
    )
    with fuzz_suite.client(fuzz_suite.admin_token()) as admin:
        eventually(lambda: realtime_agent(admin, agent).get("state"), lambda s: s == "on_call")


def test_schedule_changes(fuzz_suite: Suite, kafka_bootstrap: str) -> None:
    agent = f"dlq-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    snap = ShiftSnapshot(
        id=f"shift-{agent}",
        agent_id=agent,
        start=now - timedelta(hours=1),
        end=now + timedelta(hours=1),
    )
    change = ScheduleChange(op=ChangeOp.created, shift_id=snap.id, agent_id=agent, shift=snap)
    event = AgentEvent(agent_id=agent, state="available", timestamp=now - timedelta(minutes=1))
    with fuzz_suite.client(fuzz_suite.admin_token()) as admin:
        # The agent is known first, so the valid change after the garbage shows on its record.
        with fuzz_suite.client(fuzz_suite.user_token("acd")) as acd:
            ok = acd.post("/events", json=event.model_dump(mode="json"))
        assert ok.status_code == 202, ok.text
        eventually(
            lambda: realtime_agent(admin, agent).get("adherence"), lambda a: a == "unscheduled"
        )
        check_dead_letters(
            fuzz_suite,
            kafka_bootstrap,
            topics.SCHEDULE_CHANGES,
            "realtime",
            agent,
            schedule_change_garbage(change.model_dump(mode="json")),
            encode(change),
        )
        eventually(
            lambda: realtime_agent(admin, agent).get("scheduled_activity"), lambda a: a == "work"
        )


def test_forecast_requests(fuzz_suite: Suite, kafka_bootstrap: str) -> None:
    request = ForecastRequest(
        request_id=f"dlq-{uuid.uuid4().hex}",
        history=[{"ds": f"2026-01-{d:02d}", "y": 100 + d % 7} for d in range(1, 29)],  # type: ignore[misc]
        periods=3,
    )
    check_dead_letters(
        fuzz_suite,
        kafka_bootstrap,
        topics.FORECAST_REQUESTS,
        "forecasting",
        request.request_id,
        forecast_request_garbage(request.model_dump(mode="json")),
        encode(request),
    )
    with fuzz_suite.client(fuzz_suite.admin_token()) as admin:
        job = eventually(
            lambda: admin.get(f"/forecasts/{request.request_id}"),
            lambda r: r.status_code == 200 and r.json()["status"] in ("done", "failed"),
            timeout=180,
        )
    assert job.json()["status"] == "done", job.text
