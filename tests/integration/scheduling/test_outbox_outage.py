"""The outbox relay across a Kafka outage and a restart, in-process, without the suite.

The shared broker must never be stopped, so the outage is a relay pointed at an address where
no broker listens: shifts are created (201) while nothing can be published, one change is
rolled back, the service is restarted, and only then is the relay pointed at the real broker.
Every committed change must then arrive (exactly once after dedupe by change_id), in order
per agent, and the rolled-back one never.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from opticall_common import topics
from opticall_common.db import transaction
from opticall_common.testing import TokenFactory
from opticall_scheduling.config import Settings
from opticall_scheduling.main import create_app
from opticall_scheduling.models import OutboxRecord
from opticall_scheduling.outbox.relay import OutboxRelay
from opticall_scheduling.shifts.schemas import ShiftCreate
from opticall_scheduling.shifts.service import create_shifts
from tests.conftest import create_databases, drop_databases
from tests.integration.scheduling.changes import dedupe, read_changes

NO_KAFKA = "127.0.0.1:9"


@pytest.fixture
def fresh_db(database_url: str) -> Iterator[str]:
    name = f"it_outbox_{uuid.uuid4().hex[:10]}"
    (url,) = create_databases(database_url, [name]).values()
    try:
        yield url
    finally:
        drop_databases(database_url, [name])


def settings(db: str, prefix: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        env="test",
        database_url=db,
        kafka_bootstrap_servers=NO_KAFKA,
        kafka_topic_prefix=prefix,
        log_json=False,
        outbox_max_backoff_seconds=0.5,
        outbox_batch_size=7,  # several batches, so order across batches is exercised too
    )


def unsent(client: TestClient) -> int:
    with transaction(client.app.state.runtime.sessions) as session:  # type: ignore[attr-defined]
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxRecord)
                .where(
                    OutboxRecord.sent_at.is_(None),
                    OutboxRecord.topic == topics.SCHEDULE_CHANGES,
                )
            )
            or 0
        )


def pending_gauge(client: TestClient) -> float | None:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("opticall_scheduling_outbox_pending "):
            return float(line.split()[1])
    return None


def wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_changes_survive_outage_and_restart(
    fresh_db: str, kafka_bootstrap: str, kafka_prefix: str
) -> None:
    tokens = TokenFactory()
    auth = {"Authorization": f"Bearer {tokens.token(roles=('admin',))}"}
    prefix = kafka_prefix
    agents = ["ag-1", "ag-2", "ag-3"]
    committed: list[str] = []
    history: dict[str, list[tuple[str, str]]] = {a: [] for a in agents}  # per agent, in order

    # 1. Kafka unreachable: the service serves, says Kafka is not ready, accepts changes.
    app = create_app(settings(fresh_db, prefix))
    with TestClient(app) as client:
        app.state.runtime.res.verifier.set_keys(tokens.jwks())
        client.headers.update(auth)
        for agent in agents:
            assert (
                client.post("/agents", json={"agent_id": agent, "name": agent}).status_code == 201
            )
        for day in range(1, 7):
            for agent in agents:
                body = {
                    "agent_id": agent,
                    "start": f"2026-07-0{day}T08:00:00+02:00",
                    "end": f"2026-07-0{day}T16:00:00+02:00",
                }
                resp = client.post("/shifts", json=body)
                assert resp.status_code == 201, resp.text
                committed.append(resp.json()["id"])
                history[agent].append(("created", resp.json()["id"]))
        moved = client.patch(f"/shifts/{committed[0]}", json={"end": "2026-07-01T15:00:00+02:00"})
        assert moved.status_code == 200
        history["ag-1"].append(("updated", committed[0]))
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["kafka"] != "ok"
        assert ready.json()["checks"]["database"] == "ok"
        # A change whose transaction rolls back must never be published.
        item = ShiftCreate.model_validate(
            {"agent_id": "ag-1", "start": "2026-07-20T08:00:00Z", "end": "2026-07-20T09:00:00Z"}
        )
        rolled_back: list[str] = []
        with pytest.raises(RuntimeError), transaction(app.state.runtime.sessions) as session:
            rolled_back += [s.id for s in create_shifts(session, [item], "tester")]
            raise RuntimeError("abort")
        assert unsent(client) == len(committed) + 1  # creates + the update
    # 2. Restart (the first instance is gone, its relay never published) still without Kafka.
    app = create_app(settings(fresh_db, prefix))
    with TestClient(app) as client:
        app.state.runtime.res.verifier.set_keys(tokens.jwks())
        client.headers.update(auth)
        late = client.post(
            "/shifts",
            json={"agent_id": "ag-2", "start": "2026-07-21T08:00:00Z", "end": "2026-07-21T09:00Z"},
        )
        assert late.status_code == 201
        committed.append(late.json()["id"])
        assert client.delete(f"/shifts/{committed[1]}").status_code == 204
        history["ag-2"] += [("created", committed[-1]), ("deleted", committed[1])]
        expected = len(committed) + 2  # + update + delete
        assert unsent(client) == expected
        # The relay reports the backlog it cannot publish (what an alert would watch): each
        # change here is one transaction, which also told its agent (agent-notifications).
        wait_for(lambda: pending_gauge(client) == 2 * expected)
        # 3. Kafka comes back.
        app.state.runtime.relay.bootstrap_servers = kafka_bootstrap
        wait_for(lambda: unsent(client) == 0)
        wait_for(lambda: client.get("/readyz").status_code == 200)
        wait_for(lambda: pending_gauge(client) == 0)

    topic = topics.topic(topics.SCHEDULE_CHANGES, prefix)
    raw = read_changes(kafka_bootstrap, topic, lambda seen: len(dedupe(seen)) >= expected)
    changes = dedupe(raw)
    assert len(changes) == expected
    created = [c.shift_id for c in changes if c.op == "created"]
    assert sorted(created) == sorted(committed)
    assert not set(rolled_back) & {c.shift_id for c in changes}
    # Order per agent: the order the changes were made in, across batches and the restart.
    for agent in agents:
        assert [(c.op.value, c.shift_id) for c in changes if c.agent_id == agent] == history[agent]


def test_only_one_relay_holds_the_lock(fresh_db: str) -> None:
    """Replicas: a second relay stays idle while the first holds the advisory lock."""
    engine = create_engine(fresh_db)
    try:
        first = OutboxRelay(engine, NO_KAFKA)
        second = OutboxRelay(engine, NO_KAFKA)
        assert first._hold_lock()
        assert not second._hold_lock()
        first._release_lock()
        assert second._hold_lock()
        second._release_lock()
    finally:
        engine.dispose()
