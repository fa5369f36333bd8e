"""Shift trades over HTTP on SQLite and PostgreSQL: offers, acceptance under every rule,
approval, the swap and its outbox rows, roles and bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from services.scheduling.tests.conftest import outbox

Headers = Callable[..., dict[str, str]]
DAY = "2030-06-04"  # a Tuesday


def post_shift(
    client: TestClient, agent: str, start: str, end: str, queue: str | None = "sales"
) -> str:
    resp = client.post(
        "/shifts", json={"agent_id": agent, "start": start, "end": end, "queue": queue}
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


@pytest.fixture
def shifts(client: TestClient) -> dict[str, str]:
    for agent, queues in (("b-1", ["sales"]), ("b-2", ["sales"]), ("b-3", ["support"])):
        body = {"agent_id": agent, "name": agent, "queues": queues}
        assert client.post("/agents", json=body).status_code == 201
    return {
        "b1": post_shift(client, "b-1", f"{DAY}T08:00:00Z", f"{DAY}T16:00:00Z"),
        "b2": post_shift(client, "b-2", f"{DAY}T12:00:00Z", f"{DAY}T20:00:00Z"),
    }


def offer(client: TestClient, shift_id: str, to: str | None, **kw: Any) -> Any:
    return client.post("/shift-trades", json={"shift_id": shift_id, "to_agent_id": to, **kw})


def owner(client: TestClient, shift_id: str) -> str:
    return str(client.get(f"/shifts/{shift_id}").json()["agent_id"])


def test_swap_of_overlapping_shifts_is_atomic_and_published(
    app: FastAPI, client: TestClient, shifts: dict[str, str], as_role: Headers
) -> None:
    b1, b2 = as_role("agent", agent_id="b-1"), as_role("agent", agent_id="b-2")
    made = offer(client, shifts["b1"], "b-2", want_shift_id=shifts["b2"], note="dentist")
    assert made.status_code == 201, made.text
    trade = made.json()
    assert trade["status"] == "offered" and trade["shift"]["start"] == f"{DAY}T08:00:00Z"
    assert outbox(app, "agent-notifications")[-1]["kind"] == "trade_offered"
    before = len(outbox(app, "schedule-changes"))

    accepted = client.post(f"/shift-trades/{trade['id']}/accept", headers=b2)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "approved"
    assert owner(client, shifts["b1"]) == "b-2" and owner(client, shifts["b2"]) == "b-1"
    changes = outbox(app, "schedule-changes")[before:]
    # Per moved shift: deleted for the previous owner, created for the new one.
    assert [(c["op"], c["shift_id"], c["agent_id"]) for c in changes] == [
        ("deleted", shifts["b1"], "b-1"),
        ("created", shifts["b1"], "b-2"),
        ("deleted", shifts["b2"], "b-2"),
        ("created", shifts["b2"], "b-1"),
    ]
    notes = outbox(app, "agent-notifications")[-2:]
    assert {(n["agent_id"], n["kind"]) for n in notes} == {
        ("b-1", "trade_approved"),
        ("b-2", "trade_approved"),
    }
    # The agents now see their new shifts, and the trade from both sides.
    assert [s["id"] for s in client.get("/shifts", headers=b1).json()["items"]] == [shifts["b2"]]
    assert client.get(f"/shift-trades/{trade['id']}", headers=b1).json()["status"] == "approved"
    assert client.post(f"/shift-trades/{trade['id']}/accept", headers=b2).status_code == 409


def test_open_offer_is_seen_and_taken_by_a_colleague(
    client: TestClient, shifts: dict[str, str], as_role: Headers
) -> None:
    later = post_shift(client, "b-1", "2030-06-10T08:00:00Z", "2030-06-10T16:00:00Z")
    b1, b2 = as_role("agent", agent_id="b-1"), as_role("agent", agent_id="b-2")
    trade = client.post("/shift-trades", json={"shift_id": later}, headers=b1).json()
    assert trade["status"] == "open" and trade["to_agent_id"] is None
    seen = client.get("/shift-trades", headers=b2).json()["items"]
    assert [t["id"] for t in seen] == [trade["id"]]
    own = client.post(f"/shift-trades/{trade['id']}/accept", headers=b1)
    assert own.status_code == 422 and "own offer" in own.json()["detail"]
    taken = client.post(f"/shift-trades/{trade['id']}/accept", headers=b2)
    assert taken.status_code == 200 and taken.json()["to_agent_id"] == "b-2"
    assert owner(client, later) == "b-2"


@pytest.mark.parametrize(
    ("setup", "rule"),
    [
        # b-3 serves support only.
        ("queue", "queue"),
        # b-2 already works 12:00-20:00 that day.
        ("overlap", "overlap"),
        # b-2 ends at 20:00; a shift the next day at 02:00 leaves 6 h of rest.
        ("rest", "min_rest"),
        # b-2 would exceed 40 h that week.
        ("hours", "weekly_hours"),
        # b-2 is on approved time off then.
        ("time_off", "availability"),
        # The shift starts in two hours: under the 24 h lead time.
        ("soon", "lead_time"),
    ],
)
def test_each_rule_violation_is_a_422_naming_it(
    app: FastAPI,
    client: TestClient,
    shifts: dict[str, str],
    as_role: Headers,
    setup: str,
    rule: str,
) -> None:
    to = "b-3" if setup == "queue" else "b-2"
    if setup in ("queue", "overlap"):
        # A give-away (no shift in return): b-2 would keep their own overlapping shift.
        shift = shifts["b1"]
    elif setup == "rest":
        shift = post_shift(client, "b-1", "2030-06-05T02:00:00Z", "2030-06-05T06:00:00Z")
    elif setup == "hours":
        for day in (3, 5, 6, 7):
            post_shift(client, "b-2", f"2030-06-0{day}T08:00:00Z", f"2030-06-0{day}T17:00:00Z")
        shift = post_shift(client, "b-1", "2030-06-08T08:00:00Z", "2030-06-08T16:00:00Z")
    elif setup == "time_off":
        client.put(
            "/agents/b-2/time-off-balances", json={"balances": [{"type": "vacation", "hours": 99}]}
        )
        off = {
            "agent_id": "b-2",
            "type": "vacation",
            "start": "2030-06-09T00:00:00Z",
            "end": "2030-06-10T00:00:00Z",
        }
        assert client.post("/time-off", json=off).json()["status"] == "approved"
        shift = post_shift(client, "b-1", "2030-06-09T08:00:00Z", "2030-06-09T16:00:00Z")
    else:
        soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
        shift = post_shift(client, "b-1", soon.isoformat(), (soon + timedelta(hours=4)).isoformat())
    trade = offer(client, shift, to)
    assert trade.status_code == 201, trade.text
    changes = len(outbox(app, "schedule-changes"))
    resp = client.post(
        f"/shift-trades/{trade.json()['id']}/accept", headers=as_role("agent", agent_id=to)
    )
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["rule"] == rule, resp.json()
    assert owner(client, shift) == "b-1"
    assert len(outbox(app, "schedule-changes")) == changes
    assert client.get(f"/shift-trades/{trade.json()['id']}").json()["status"] == "offered"


def test_supervisor_approval_when_auto_approval_is_off(
    app: FastAPI,
    client: TestClient,
    shifts: dict[str, str],
    as_role: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app.state.runtime.settings, "trade_auto_approve", False)
    later = post_shift(client, "b-1", "2030-06-12T08:00:00Z", "2030-06-12T16:00:00Z")
    trade = offer(client, later, "b-2").json()
    accepted = client.post(
        f"/shift-trades/{trade['id']}/accept", headers=as_role("agent", agent_id="b-2")
    )
    assert accepted.json()["status"] == "accepted" and owner(client, later) == "b-1"
    assert (
        client.post(
            f"/shift-trades/{trade['id']}/approve", headers=as_role("agent", agent_id="b-2")
        ).status_code
        == 403
    )
    approved = client.post(f"/shift-trades/{trade['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert owner(client, later) == "b-2"
    other = offer(client, shifts["b2"], "b-1").json()
    assert client.post(f"/shift-trades/{other['id']}/deny").json()["status"] == "denied"
    assert client.post(f"/shift-trades/{other['id']}/approve").status_code == 409


def test_bad_offers_change_nothing(
    app: FastAPI, client: TestClient, shifts: dict[str, str], as_role: Headers
) -> None:
    b1 = as_role("agent", agent_id="b-1")
    past = post_shift(client, "b-1", "2020-01-01T08:00:00Z", "2020-01-01T16:00:00Z")
    cases = [
        ({"shift_id": shifts["b2"], "to_agent_id": "b-3"}, b1, 403),  # someone else's shift
        ({"shift_id": past, "to_agent_id": "b-2"}, b1, 422),  # a past shift
        ({"shift_id": shifts["b1"], "to_agent_id": "b-1"}, b1, 422),  # to oneself
        ({"shift_id": shifts["b1"], "want_shift_id": shifts["b2"]}, b1, 422),  # want, no partner
        ({"shift_id": shifts["b1"], "to_agent_id": "b-3", "want_shift_id": shifts["b2"]}, b1, 422),
        ({"shift_id": "nope", "to_agent_id": "b-2"}, b1, 404),
        ({"shift_id": shifts["b1"], "to_agent_id": "ghost"}, b1, 404),
        ({"shift_id": shifts["b1"], "to_agent_id": "b\x00-2"}, b1, 422),
    ]
    notes = len(outbox(app, "agent-notifications"))
    for body, headers, status in cases:
        resp = client.post("/shift-trades", json=body, headers=headers)
        assert resp.status_code == status, (body, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    assert client.get("/shift-trades").json()["items"] == []
    assert len(outbox(app, "agent-notifications")) == notes
    assert offer(client, shifts["b1"], "b-2").status_code == 201
    assert offer(client, shifts["b1"], "b-3").status_code == 409  # already on offer


def test_only_the_partner_accepts_and_only_the_offerer_cancels(
    client: TestClient, shifts: dict[str, str], as_role: Headers
) -> None:
    trade = offer(client, shifts["b1"], "b-2").json()
    b3 = as_role("agent", agent_id="b-3")
    assert client.post(f"/shift-trades/{trade['id']}/accept", headers=b3).status_code == 403
    assert client.get(f"/shift-trades/{trade['id']}", headers=b3).status_code == 404
    assert client.post(f"/shift-trades/{trade['id']}/cancel", headers=b3).status_code == 403
    b1 = as_role("agent", agent_id="b-1")
    cancelled = client.post(f"/shift-trades/{trade['id']}/cancel", headers=b1)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_a_shift_longer_than_the_maximum_now_cannot_change_hands(
    app: FastAPI,
    client: TestClient,
    shifts: dict[str, str],
    as_role: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trade = offer(client, shifts["b1"], "b-2", want_shift_id=shifts["b2"]).json()
    monkeypatch.setattr(app.state.runtime.settings, "max_shift_hours", 6.0)  # lowered since
    resp = client.post(
        f"/shift-trades/{trade['id']}/accept", headers=as_role("agent", agent_id="b-2")
    )
    assert resp.status_code == 422 and resp.json()["rule"] == "max_shift_length"
    # Both agents are checked: each would take an 8-hour shift.
    assert {v["agent_id"] for v in resp.json()["violations"]} == {"b-1", "b-2"}


def test_staff_take_an_open_offer_for_a_named_agent(
    client: TestClient, shifts: dict[str, str]
) -> None:
    later = post_shift(client, "b-1", "2030-06-14T08:00:00Z", "2030-06-14T16:00:00Z")
    trade = client.post("/shift-trades", json={"shift_id": later}).json()
    unnamed = client.post(f"/shift-trades/{trade['id']}/accept")
    assert unnamed.status_code == 422 and "agent_id" in unnamed.json()["detail"]
    named = client.post(f"/shift-trades/{trade['id']}/accept", json={"agent_id": "b-2"})
    assert named.status_code == 200 and named.json()["to_agent_id"] == "b-2"
    assert owner(client, later) == "b-2"
