"""Staffing and schedule generation through the gateway, against real Kafka and PostgreSQL."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.scheduling.changes import read_changes
from tests.integration.suite import Suite

DATA = Path("/work/shared/data/pyworkforce_15min.csv")


@pytest.fixture(scope="module")
def supervisor(suite: Suite) -> Iterator[httpx.Client]:
    with suite.client(suite.user_token("supervisor")) as client:
        client.timeout = httpx.Timeout(120)
        yield client


def test_canonical_staffing(supervisor: httpx.Client) -> None:
    body = {
        "interval_minutes": 30, "service_level": 0.8, "answer_seconds": 20,
        "max_occupancy": 0.85, "shrinkage": 0.3, "model": "erlang_c",
        "intervals": [{"start": "2026-11-25T14:00:00+01:00", "volume": 100, "aht_seconds": 180}],
    }  # fmt: skip
    resp = supervisor.post("/staffing", json=body)
    assert resp.status_code == 200, resp.text
    [iv] = resp.json()["intervals"]
    assert (iv["agents_raw"], iv["agents_required"]) == (14, 20)
    assert iv["start"] == "2026-11-25T13:00:00Z"
    bad = supervisor.post("/staffing", json={**body, "shrinkage": 1})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_staffing_refuses_agents(suite: Suite) -> None:
    with suite.client(suite.user_token("agent")) as client:
        assert client.post("/staffing", json={"intervals": []}).status_code == 403


def test_generate_publish_makes_shifts_and_events(
    suite: Suite, supervisor: httpx.Client, kafka_bootstrap: str
) -> None:
    run = uuid.uuid4().hex[:6]
    agents = [f"sched-{run}-{i}" for i in range(3)]
    for a in agents:
        resp = supervisor.post("/agents", json={"agent_id": a, "name": a})
        assert resp.status_code == 201, resp.text
    day = datetime(2027, 1, 4, tzinfo=UTC) + timedelta(days=int(run, 16) % 300)
    body: dict[str, Any] = {
        "interval_minutes": 30,
        "requirement": [
            {"start": (day + timedelta(minutes=30 * i)).isoformat(), "required": 2.0}
            for i in range(16, 36)
        ],
        "agents": [{"agent_id": a} for a in agents],
        "shift_templates": [{
            "name": "8h", "length_minutes": 480, "start_granularity_minutes": 60,
            "breaks": [{"kind": "lunch", "length_minutes": 30, "earliest_start_minutes": 180,
                        "latest_start_minutes": 300}],
        }],
        "time_limit_seconds": 3,
    }  # fmt: skip
    resp = supervisor.post("/schedules/generate", json=body)
    assert resp.status_code == 201, resp.text
    draft = resp.json()
    assert draft["status"] == "draft" and draft["shifts"]
    assert draft["solver"]["status"] in ("OPTIMAL", "FEASIBLE")
    assert supervisor.get(f"/schedules/{draft['id']}").json()["id"] == draft["id"]

    resp = supervisor.post(f"/schedules/{draft['id']}/publish")
    assert resp.status_code == 200, resp.text
    shift_ids = set(resp.json()["shift_ids"])
    assert len(shift_ids) == len(draft["shifts"])
    listed = supervisor.get(
        "/shifts", params={"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat()}
    ).json()["items"]
    mine = {s["id"] for s in listed if s["agent_id"] in agents}
    assert mine == shift_ids
    assert supervisor.post(f"/schedules/{draft['id']}/publish").status_code == 409

    changes = read_changes(
        kafka_bootstrap,
        suite.topic_prefix + "schedule-changes",
        lambda seen: shift_ids <= {c.shift_id for c in seen},
    )
    created = {c.shift_id for c in changes if c.op.value == "created"}
    assert shift_ids <= created
    lunch = next(c for c in changes if c.shift_id in shift_ids).shift.activities
    assert [a.kind.value for a in lunch] == ["lunch"]


def _upload(client: httpx.Client, queue: str, days: int) -> None:
    lines = DATA.read_text().splitlines()
    resp = client.post(
        "/history/upload",
        params={"queue": queue},
        content="\n".join(lines[: days * 96 + 1]) + "\n",
        headers={"content-type": "text/csv"},
    )
    assert resp.status_code == 200, resp.text


def test_plan_from_a_stored_forecast(supervisor: httpx.Client) -> None:
    queue = f"plan-{uuid.uuid4().hex[:6]}"
    _upload(supervisor, queue, days=14)
    job_id = f"plan-{uuid.uuid4().hex}"
    resp = supervisor.post("/forecasts", json={"request_id": job_id, "queue": queue, "periods": 8})
    assert resp.status_code == 202, resp.text
    deadline = time.monotonic() + 300
    status = ""
    while time.monotonic() < deadline and status not in ("done", "failed"):
        time.sleep(1)
        status = supervisor.get(f"/forecasts/{job_id}").json()["status"]
    assert status == "done"
    body = {
        "interval_minutes": 15, "service_level": 0.8, "answer_seconds": 30,
        "max_occupancy": 0.85, "shrinkage": 0.3,
        "forecast_id": job_id, "aht_seconds": 400, "queue": queue,
    }  # fmt: skip
    resp = supervisor.post("/staffing/plan", json=body)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert len(out["intervals"]) == 8
    assert all(iv["queue"] == queue for iv in out["intervals"])
    assert any(iv["agents_required"] > 0 for iv in out["intervals"])
    missing = supervisor.post("/staffing/plan", json={**body, "forecast_id": "no-such-job"})
    assert missing.status_code == 422, missing.text
