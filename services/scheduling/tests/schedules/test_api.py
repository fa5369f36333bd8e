"""``/schedules``: generate → stored draft → publish as shifts (with outbox rows), and 409s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from services.scheduling.tests.conftest import outbox

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def body(agent_ids: list[str]) -> dict[str, Any]:
    return {
        "interval_minutes": 30,
        "requirement": [
            {"start": (T0 + timedelta(minutes=30 * i)).isoformat(), "required": 1.0}
            for i in range(16, 32)
        ],
        "agents": [{"agent_id": a} for a in agent_ids],
        "shift_templates": [
            {
                "name": "8h",
                "length_minutes": 480,
                "start_granularity_minutes": 60,
                "breaks": [
                    {"kind": "lunch", "length_minutes": 30, "earliest_start_minutes": 180,
                     "latest_start_minutes": 300},
                ],
            }
        ],
        "time_limit_seconds": 2,
    }  # fmt: skip


@pytest.fixture
def agents(client: TestClient) -> list[str]:
    for agent_id in ("g-1", "g-2"):
        resp = client.post("/agents", json={"agent_id": agent_id, "name": agent_id})
        assert resp.status_code == 201, resp.text
    return ["g-1", "g-2"]


def outbox_shift_ids(app: FastAPI) -> list[str]:
    return [change["shift_id"] for change in outbox(app)]


def test_generate_get_publish(client: TestClient, agents: list[str]) -> None:
    resp = client.post("/schedules/generate", json=body(agents))
    assert resp.status_code == 201, resp.text
    draft = resp.json()
    assert draft["status"] == "draft" and draft["id"]
    assert draft["solver"]["status"] in ("OPTIMAL", "FEASIBLE")
    assert {"objective", "best_bound", "gap"} <= set(draft["solver"])
    assert len(draft["coverage"]) == 16
    assert {"required", "scheduled", "gap"} <= set(draft["coverage"][0])
    assert draft["shifts"] and draft["shifts"][0]["activities"][0]["kind"] == "lunch"
    assert client.get(f"/schedules/{draft['id']}").json() == draft

    resp = client.post(f"/schedules/{draft['id']}/publish")
    assert resp.status_code == 200, resp.text
    published = resp.json()
    assert published["status"] == "published"
    assert len(published["shift_ids"]) == len(draft["shifts"])
    listed = client.get("/shifts", params={"start": T0.isoformat()}).json()["items"]
    assert {s["id"] for s in listed} == set(published["shift_ids"])
    assert listed[0]["activities"][0]["kind"] == "lunch"
    assert outbox_shift_ids(client.app) == published["shift_ids"]  # type: ignore[arg-type]

    again = client.post(f"/schedules/{draft['id']}/publish")
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")


def test_publish_overlap_is_409_and_creates_nothing(client: TestClient, agents: list[str]) -> None:
    draft = client.post("/schedules/generate", json=body(agents[:1])).json()
    [shift] = draft["shifts"]
    blocker = {"agent_id": shift["agent_id"], "start": shift["start"], "end": shift["end"]}
    assert client.post("/shifts", json=blocker).status_code == 201
    resp = client.post(f"/schedules/{draft['id']}/publish")
    assert resp.status_code == 409, resp.text
    assert client.get(f"/schedules/{draft['id']}").json()["status"] == "draft"
    assert len(outbox_shift_ids(client.app)) == 1  # type: ignore[arg-type]  # the blocker only


def test_unknown_agent_is_422_at_publish(client: TestClient) -> None:
    draft = client.post("/schedules/generate", json=body(["ghost"])).json()
    resp = client.post(f"/schedules/{draft['id']}/publish")
    assert resp.status_code == 422, resp.text


def test_not_found_invalid_and_roles(
    client: TestClient, as_role: Callable[..., dict[str, str]]
) -> None:
    assert client.get("/schedules/nope").status_code == 404
    assert client.post("/schedules/nope/publish").status_code == 404
    bad = body(["a"])
    bad["shift_templates"][0]["breaks"][0]["latest_start_minutes"] = 470  # ends after shift
    resp = client.post("/schedules/generate", json=bad)
    assert resp.status_code == 422 and "breaks" in resp.text
    off_grid = body(["a"])
    off_grid["requirement"][1]["start"] = (T0 + timedelta(hours=8, minutes=40)).isoformat()
    assert client.post("/schedules/generate", json=off_grid).status_code == 422
    forbidden = client.post("/schedules/generate", json=body(["a"]), headers=as_role("agent"))
    assert forbidden.status_code == 403
