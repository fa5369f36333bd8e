"""PostgreSQL restarted while 1,000 shifts are being created through the gateway.

Four clients post 1,000 non-overlapping shifts. After 300 answers the private cluster is
stopped (``pg_ctl -m fast``: open connections are cut mid-request), requests go on failing
against a dead database, then it is started again and the rest go through. Every failure must
be a 503 (never a 500); every 201 must be stored and published to ``schedule-changes`` exactly
once after dedupe by ``change_id``; and no change may be published for a shift that is not
stored (the outbox commits with the shift or not at all).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from queue import Empty, SimpleQueue
from typing import Any

import httpx
import pytest

from opticall_common import topics
from tests.integration.faults.infra import PrivateInfra
from tests.integration.scheduling.changes import dedupe, read_changes
from tests.integration.suite import Suite

pytestmark = pytest.mark.timeout(600)

SHIFTS = 1_000
AGENTS = 20
CLIENTS = 4
STOP_AFTER = 300
FAILED_WHILE_DOWN = 20  # answers to see while the database is down before starting it again


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int | str] = Counter()
        self.created: dict[str, dict[str, Any]] = {}
        self.answers = 0

    def add(self, status: int | str, body: dict[str, Any], resp: dict[str, Any] | None) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.answers += 1
            if status == 201 and resp is not None:
                self.created[resp["id"]] = body


def worker(suite: Suite, token: str, todo: SimpleQueue[dict[str, Any]], out: Results) -> None:
    with suite.client(token) as client:
        while True:
            try:
                body = todo.get_nowait()
            except Empty:
                return
            try:
                resp = client.post("/shifts", json=body)
            except httpx.TransportError as exc:
                out.add(type(exc).__name__, body, None)
                continue
            out.add(resp.status_code, body, resp.json() if resp.status_code == 201 else None)
            if resp.status_code not in (201, 503):
                print("unexpected", resp.status_code, resp.text[:500])


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_postgres_restart_during_shift_creation(
    fault_suite: Suite, infra: PrivateInfra, admin: httpx.Client
) -> None:
    run = uuid.uuid4().hex[:6]
    agents = [f"pg-{run}-{i}" for i in range(AGENTS)]
    for agent in agents:
        assert admin.post("/agents", json={"agent_id": agent, "name": agent}).status_code == 201
    base = datetime(2027, 3, 1, 8, tzinfo=UTC)
    todo: SimpleQueue[dict[str, Any]] = SimpleQueue()
    for i in range(SHIFTS):
        start = base + timedelta(days=i // AGENTS)
        todo.put(
            {
                "agent_id": agents[i % AGENTS],
                "start": start.isoformat(),
                "end": (start + timedelta(hours=8)).isoformat(),
            }
        )
    out = Results()
    token = fault_suite.admin_token()
    threads = [
        threading.Thread(target=worker, args=(fault_suite, token, todo, out), daemon=True)
        for _ in range(CLIENTS)
    ]
    for t in threads:
        t.start()
    wait_until(lambda: out.answers >= STOP_AFTER, 180, f"stalled: {out.statuses}")
    infra.postgres.run("stop")
    down_at = out.answers
    wait_until(
        lambda: out.answers >= down_at + FAILED_WHILE_DOWN or todo.empty(),
        60,
        f"no answers while the database was down: {out.statuses}",
    )
    infra.postgres.run("start")
    for t in threads:
        t.join(300)
    assert out.answers == SHIFTS, out.statuses
    assert set(out.statuses) <= {201, 503}, out.statuses
    assert out.statuses[503] >= 1, f"the restart was never felt: {out.statuses}"
    assert out.statuses[201] >= STOP_AFTER // 2, out.statuses

    # Every 201 is stored, as it was answered.
    for shift_id, body in out.created.items():
        resp = admin.get(f"/shifts/{shift_id}")
        assert resp.status_code == 200, resp.text
        assert resp.json()["agent_id"] == body["agent_id"]

    # ... and published once (after dedupe), with nothing published that is not stored.
    topic = topics.topic(topics.SCHEDULE_CHANGES, fault_suite.topic_prefix)

    def created_ids(changes: list[Any]) -> set[str]:
        return {c.shift_id for c in dedupe(changes) if c.op == "created"}

    raw = read_changes(
        infra.kafka_bootstrap, topic, lambda seen: set(out.created) <= created_ids(seen), 120
    )
    changes = [c for c in dedupe(raw) if c.agent_id in set(agents)]
    per_shift = Counter(c.shift_id for c in changes if c.op == "created")
    missing = set(out.created) - set(per_shift)
    assert not missing, f"{len(missing)} created shifts were never published"
    assert all(n == 1 for n in per_shift.values()), per_shift.most_common(3)
    for shift_id in set(per_shift) - set(out.created):  # committed, but the client saw a 503
        assert admin.get(f"/shifts/{shift_id}").status_code == 200
