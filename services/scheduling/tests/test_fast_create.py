"""POST /shifts through the one-statement path (PostgreSQL) and its fallback to the checked path.

Each refused POST must leave neither a shift nor an outbox row behind, and each accepted one
exactly one outbox row describing what the response returned.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from services.scheduling.tests.conftest import outbox
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from opticall_common.db import transaction
from opticall_scheduling.models import Shift


def stored(app: FastAPI) -> tuple[int, list[dict[str, object]]]:
    with transaction(app.state.runtime.sessions) as session:
        shifts = int(session.scalar(select(func.count()).select_from(Shift)) or 0)
    return shifts, outbox(app)


def test_refusals_store_nothing_and_successes_one_outbox_row_each(
    app: FastAPI, client: TestClient
) -> None:
    for agent_id in ("f-1", "f-2"):
        assert client.post("/agents", json={"agent_id": agent_id, "name": agent_id}).status_code
    assert client.patch("/agents/f-2", json={"active": False}).status_code == 200
    ok = client.post(
        "/shifts",
        json={
            "agent_id": "f-1",
            "start": "2026-05-04T08:00:00+02:00",
            "end": "2026-05-04T16:00:00+02:00",
            "queue": "sales",
            "activities": [
                {"kind": "lunch", "start": "2026-05-04T10:00:00Z", "end": "2026-05-04T10:30:00Z"},
                {"kind": "break", "start": "2026-05-04T07:00:00Z", "end": "2026-05-04T07:15:00Z"},
            ],
        },
    )
    assert ok.status_code == 201, ok.text
    created = ok.json()["shift"]
    assert [a["kind"] for a in created["activities"]] == ["break", "lunch"]  # sorted by start

    def post(agent: str, start: str, end: str) -> dict[str, object]:
        resp = client.post("/shifts", json={"agent_id": agent, "start": start, "end": end})
        assert resp.headers["content-type"].startswith("application/problem+json"), resp.text
        body: dict[str, object] = resp.json()
        body["status_code"] = resp.status_code
        return body

    unknown = post("nobody", "2026-05-05T08:00:00Z", "2026-05-05T16:00:00Z")
    assert unknown["status_code"] == 422 and "unknown agent" in str(unknown)
    inactive = post("f-2", "2026-05-05T08:00:00Z", "2026-05-05T16:00:00Z")
    assert inactive["status_code"] == 422 and "inactive" in str(inactive)
    overlap = post("f-1", "2026-05-04T13:00:00Z", "2026-05-04T18:00:00Z")
    assert overlap["status_code"] == 409
    assert overlap["conflicting_shift_id"] == created["id"]
    too_long = post("f-1", "2026-05-06T00:00:00Z", "2026-05-07T08:00:00Z")
    assert too_long["status_code"] == 422

    shifts, events = stored(app)
    assert shifts == 1
    assert len(events) == 1
    (event,) = events
    assert event["op"] == "created" and event["shift_id"] == created["id"]
    assert event["agent_id"] == "f-1"
    snapshot = event["shift"]
    assert isinstance(snapshot, dict)
    assert snapshot["start"] == created["start"] == "2026-05-04T06:00:00Z"
    assert snapshot["queue"] == "sales"
    assert [a["kind"] for a in snapshot["activities"]] == ["break", "lunch"]
    got = client.get(f"/shifts/{created['id']}").json()
    assert got == created
    # The agent is told in the same statement; refusals tell nobody.
    (note,) = outbox(app, "agent-notifications")
    assert (note["agent_id"], note["kind"]) == ("f-1", "schedule_changed")
    assert note["shift_ids"] == [created["id"]]


def test_a_stale_pooled_connection_falls_back_without_an_error(
    app: FastAPI, client: TestClient, db_url: str
) -> None:
    """The fast path's engine does not ping: a connection killed under it (a database restart)
    must fail before anything commits and the request still succeed, exactly once."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the fast path runs on PostgreSQL only")
    assert client.post("/agents", json={"agent_id": "s-1", "name": "S"}).status_code == 201
    first = {"agent_id": "s-1", "start": "2026-05-04T08:00:00Z", "end": "2026-05-04T12:00:00Z"}
    assert client.post("/shifts", json=first).status_code == 201  # a pooled connection now
    admin = create_engine(make_url(db_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            killed = conn.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        assert killed
    finally:
        admin.dispose()
    second = {**first, "start": "2026-05-04T12:00:00Z", "end": "2026-05-04T16:00:00Z"}
    resp = client.post("/shifts", json=second)
    assert resp.status_code == 201, resp.text
    shifts, events = stored(app)
    assert shifts == 2 and len(events) == 2
    assert events[1]["shift_id"] == resp.json()["id"]
