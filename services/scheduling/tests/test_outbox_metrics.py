"""The outbox backlog gauge: unpublished rows, kept current by the relay while Kafka is down.

Kafka is unreachable in these tests (conftest), so every change stays in the outbox; the
gauge must follow the count of unsent rows. Its return to 0 once Kafka is back is checked in
tests/integration/scheduling/test_outbox_outage.py.
"""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from opticall_common.db import transaction
from opticall_scheduling.models import OutboxRecord

GAUGE = "opticall_scheduling_outbox_pending"


def gauge(client: TestClient) -> float | None:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(GAUGE + " "):
            return float(line.split()[1])
    return None


def unsent(client: TestClient) -> int:
    with transaction(client.app.state.runtime.sessions) as session:  # type: ignore[attr-defined]
        query = select(func.count()).select_from(OutboxRecord).where(OutboxRecord.sent_at.is_(None))
        return int(session.scalar(query) or 0)


def wait_for_gauge(client: TestClient, expected: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while (value := gauge(client)) != expected:
        assert time.monotonic() < deadline, f"{GAUGE} is {value}, expected {expected}"
        time.sleep(0.1)


def test_backlog_gauge_counts_unpublished_changes_during_a_kafka_outage(
    client: TestClient,
) -> None:
    assert client.post("/agents", json={"agent_id": "g-1", "name": "G"}).status_code == 201
    wait_for_gauge(client, 0)
    ids = []
    for day in (1, 2, 3):
        body = {
            "agent_id": "g-1",
            "start": f"2026-08-0{day}T08:00:00Z",
            "end": f"2026-08-0{day}T16:00:00Z",
        }
        resp = client.post("/shifts", json=body)
        assert resp.status_code == 201, resp.text
        ids.append(resp.json()["id"])
    # Each change: its schedule-changes event and the agent's notification.
    assert unsent(client) == 6
    wait_for_gauge(client, 6)
    assert client.delete(f"/shifts/{ids[0]}").status_code == 204  # one more change to publish
    assert unsent(client) == 8
    wait_for_gauge(client, 8)
