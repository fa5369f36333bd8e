"""Time off over HTTP on SQLite and PostgreSQL: balances, allowances, decisions, the schedule
change and its outbox rows, roles and bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from services.scheduling.tests.conftest import outbox

Headers = Callable[..., dict[str, str]]


@pytest.fixture
def floor(client: TestClient) -> None:
    """Three agents of queue sales with 40 h of vacation each, and one shift for a-1."""
    for agent in ("a-1", "a-2", "a-3"):
        assert (
            client.post(
                "/agents", json={"agent_id": agent, "name": agent, "queues": ["sales"]}
            ).status_code
            == 201
        )
        body = {"balances": [{"type": "vacation", "hours": 40}]}
        assert client.put(f"/agents/{agent}/time-off-balances", json=body).status_code == 200
    shift = {
        "agent_id": "a-1",
        "start": "2030-06-03T08:00:00Z",
        "end": "2030-06-03T16:00:00Z",
        "activities": [
            {"kind": "break", "start": "2030-06-03T10:00:00Z", "end": "2030-06-03T10:15:00Z"},
            {"kind": "lunch", "start": "2030-06-03T12:00:00Z", "end": "2030-06-03T12:30:00Z"},
        ],
    }
    assert client.post("/shifts", json=shift).status_code == 201


def request(client: TestClient, agent: str, start: str, end: str, **kw: Any) -> Any:
    body = {"agent_id": agent, "type": "vacation", "start": start, "end": end, **kw}
    return client.post("/time-off", json=body)


def balance(client: TestClient, agent: str, type_: str = "vacation") -> float:
    items = client.get(f"/agents/{agent}/time-off-balances").json()["balances"]
    return float(next(b["hours"] for b in items if b["type"] == type_))


def test_approval_carves_the_shift_debits_and_publishes(
    app: FastAPI, client: TestClient, floor: None
) -> None:
    before = len(outbox(app, "schedule-changes"))
    resp = request(client, "a-1", "2030-06-03T12:00:00Z", "2030-06-03T20:00:00Z")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "approved" and body["reason"] is None
    assert body["hours"] == 4  # the shift's hours inside the request
    assert balance(client, "a-1") == 36
    (shift,) = client.get("/shifts", params={"agent_id": "a-1"}).json()["items"]
    assert body["changed_shift_ids"] == [shift["id"]]
    assert [(a["kind"], a["start"][11:16], a["end"][11:16]) for a in shift["activities"]] == [
        ("break", "10:00", "10:15"),
        ("time_off", "12:00", "16:00"),  # the lunch inside it is gone
    ]
    changes = outbox(app, "schedule-changes")[before:]
    assert [(c["op"], c["shift_id"]) for c in changes] == [("updated", shift["id"])]
    assert changes[0]["shift"]["activities"][1]["kind"] == "time_off"
    notes = outbox(app, "agent-notifications")
    assert notes[-1]["kind"] == "time_off_approved" and notes[-1]["agent_id"] == "a-1"
    assert notes[-1]["time_off_id"] == body["id"] and notes[-1]["shift_ids"] == [shift["id"]]
    # One notification for the decision, none besides for the shift it changed.
    assert [n["kind"] for n in notes].count("schedule_changed") == 1  # the shift's creation

    # Cancelling gives the hours and the shift's activities back.
    cancelled = client.post(f"/time-off/{body['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert balance(client, "a-1") == 40
    (restored,) = client.get("/shifts", params={"agent_id": "a-1"}).json()["items"]
    assert [a["kind"] for a in restored["activities"]] == ["break", "lunch"]
    assert outbox(app, "agent-notifications")[-1]["kind"] == "time_off_cancelled"


def test_wholly_covered_shift_is_removed_and_restored(
    app: FastAPI, client: TestClient, floor: None
) -> None:
    (shift,) = client.get("/shifts", params={"agent_id": "a-1"}).json()["items"]
    resp = request(client, "a-1", "2030-06-03T00:00:00Z", "2030-06-04T00:00:00Z")
    assert resp.json()["status"] == "approved" and resp.json()["removed_shift_ids"] == [shift["id"]]
    assert client.get("/shifts", params={"agent_id": "a-1"}).json()["items"] == []
    assert outbox(app, "schedule-changes")[-1]["op"] == "deleted"
    assert client.post(f"/time-off/{resp.json()['id']}/cancel").status_code == 200
    (back,) = client.get("/shifts", params={"agent_id": "a-1"}).json()["items"]
    assert back["id"] == shift["id"] and back["start"] == shift["start"]


def test_hours_without_shifts_count_a_working_day(client: TestClient, floor: None) -> None:
    resp = request(client, "a-2", "2030-07-01T00:00:00Z", "2030-07-03T00:00:00Z")
    assert resp.json()["hours"] == 16  # two days, 8 h each (SCHEDULING_TIME_OFF_DAY_HOURS)


def test_short_balance_is_rejected_and_nothing_changes(client: TestClient, floor: None) -> None:
    resp = request(client, "a-2", "2030-07-01T00:00:00Z", "2030-07-07T00:00:00Z")  # 48 h > 40
    assert resp.status_code == 201
    assert (resp.json()["status"], resp.json()["reason"]) == ("rejected", "balance")
    assert balance(client, "a-2") == 40


def test_allowance_makes_the_second_agent_wait(
    app: FastAPI, client: TestClient, floor: None
) -> None:
    assert (
        client.put("/queues/sales/time-off-allowance", json={"max_agents_off": 1}).status_code
        == 200
    )
    first = request(client, "a-1", "2030-07-01T00:00:00Z", "2030-07-02T00:00:00Z")
    second = request(client, "a-2", "2030-07-01T12:00:00Z", "2030-07-02T12:00:00Z")
    later = request(client, "a-3", "2030-07-02T00:00:00Z", "2030-07-03T00:00:00Z")
    assert first.json()["status"] == "approved"
    assert (second.json()["status"], second.json()["reason"]) == ("pending", "allowance")
    assert later.json()["status"] == "approved"  # touches but does not overlap
    assert balance(client, "a-2") == 40  # nothing debited while pending
    assert outbox(app, "agent-notifications")[-2]["kind"] == "time_off_pending"
    # A supervisor may approve over the allowance; the balance is debited then.
    approved = client.post(f"/time-off/{second.json()['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert balance(client, "a-2") == 32
    assert client.post(f"/time-off/{second.json()['id']}/approve").status_code == 409


def test_allowance_rules_per_weekday_and_hours(client: TestClient, floor: None) -> None:
    allowance = {
        "max_agents_off": 5,
        "timezone": "Europe/Berlin",
        # Mondays 09:00-17:00 Berlin time nobody may be off.
        "rules": [
            {"weekdays": [0], "start_time": "09:00", "end_time": "17:00", "max_agents_off": 0}
        ],
    }
    put = client.put("/queues/sales/time-off-allowance", json=allowance)
    assert put.status_code == 200 and put.json()["rules"][0]["max_agents_off"] == 0
    monday = request(client, "a-2", "2030-07-01T14:00:00Z", "2030-07-01T16:00:00Z")  # 16-18 Berlin
    assert (monday.json()["status"], monday.json()["reason"]) == ("pending", "allowance")
    evening = request(client, "a-3", "2030-07-01T15:00:00Z", "2030-07-01T18:00:00Z")  # 17-20
    assert evening.json()["status"] == "approved"
    tuesday = request(client, "a-1", "2030-07-02T08:00:00Z", "2030-07-02T12:00:00Z")
    assert tuesday.json()["status"] == "approved"
    assert client.get("/queues/sales/time-off-allowance").json()["timezone"] == "Europe/Berlin"
    assert client.get("/queues/none/time-off-allowance").status_code == 404


def test_queue_without_auto_approval_waits_for_a_supervisor(
    client: TestClient, floor: None
) -> None:
    client.put(
        "/queues/sales/time-off-allowance", json={"max_agents_off": 9, "auto_approve": False}
    )
    resp = request(client, "a-2", "2030-07-01T00:00:00Z", "2030-07-02T00:00:00Z")
    assert (resp.json()["status"], resp.json()["reason"]) == ("pending", "approval")
    denied = client.post(f"/time-off/{resp.json()['id']}/deny")
    assert denied.json()["status"] == "denied"
    assert client.post(f"/time-off/{resp.json()['id']}/cancel").status_code == 409


@pytest.mark.parametrize(
    ("patch", "status"),
    [
        ({"end": "2030-07-01T00:00:00Z"}, 422),  # end == start
        ({"end": "2030-06-30T00:00:00Z"}, 422),  # end < start
        ({"type": "sabbatical"}, 422),  # no balance of that type
        ({"agent_id": "nobody"}, 404),
        ({"start": "2030-07-01T08:00:00"}, 422),  # no offset
        ({"end": "2030-09-01T00:00:00Z"}, 422),  # longer than SCHEDULING_MAX_TIME_OFF_DAYS
    ],
)
def test_bad_requests_change_nothing(
    app: FastAPI, client: TestClient, floor: None, patch: dict[str, Any], status: int
) -> None:
    notes = len(outbox(app, "agent-notifications"))
    body = {
        "agent_id": "a-2",
        "type": "vacation",
        "start": "2030-07-01T00:00:00Z",
        "end": "2030-07-02T00:00:00Z",
    }
    resp = client.post("/time-off", json={**body, **patch})
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert client.get("/time-off").json()["items"] == []
    assert len(outbox(app, "agent-notifications")) == notes


def test_overlapping_duplicate_is_409(client: TestClient, floor: None) -> None:
    assert request(client, "a-2", "2030-07-01T00:00:00Z", "2030-07-02T00:00:00Z").status_code == 201
    dup = request(client, "a-2", "2030-07-01T12:00:00Z", "2030-07-03T00:00:00Z")
    assert dup.status_code == 409 and "conflicting_time_off_id" in dup.json()
    assert len(client.get("/time-off", params={"agent_id": "a-2"}).json()["items"]) == 1


def test_agents_act_only_for_themselves(client: TestClient, floor: None, as_role: Headers) -> None:
    mine = as_role("agent", agent_id="a-2")
    ok = client.post(
        "/time-off",
        json={
            "agent_id": "a-2",
            "type": "vacation",
            "start": "2030-07-01T00:00:00Z",
            "end": "2030-07-01T08:00:00Z",
        },
        headers=mine,
    )
    assert ok.status_code == 201, ok.text
    other = client.post(
        "/time-off",
        json={
            "agent_id": "a-3",
            "type": "vacation",
            "start": "2030-07-01T00:00:00Z",
            "end": "2030-07-01T08:00:00Z",
        },
        headers=mine,
    )
    assert other.status_code == 403
    request(client, "a-3", "2030-07-05T00:00:00Z", "2030-07-05T08:00:00Z")  # by the supervisor
    listed = client.get("/time-off", headers=mine).json()["items"]
    assert [r["agent_id"] for r in listed] == ["a-2"]
    assert client.get("/time-off", params={"agent_id": "a-3"}, headers=mine).status_code == 403
    assert client.get("/agents/a-2/time-off-balances", headers=mine).status_code == 200
    assert client.get("/agents/a-3/time-off-balances", headers=mine).status_code == 403
    body = {"balances": [{"type": "vacation", "hours": 999}]}
    assert client.put("/agents/a-2/time-off-balances", json=body, headers=mine).status_code == 403
    assert client.post(f"/time-off/{ok.json()['id']}/approve", headers=mine).status_code == 403
    # The agent cancels their own future time off; the hours come back.
    assert client.post(f"/time-off/{ok.json()['id']}/cancel", headers=mine).status_code == 200
    assert balance(client, "a-2") == 40


def test_list_filters_by_status_and_range(client: TestClient, floor: None) -> None:
    request(client, "a-2", "2030-07-01T00:00:00Z", "2030-07-02T00:00:00Z")
    request(client, "a-3", "2030-08-01T00:00:00Z", "2030-08-02T00:00:00Z")
    request(client, "a-1", "2030-07-10T00:00:00Z", "2030-07-20T00:00:00Z")  # 80 h: rejected
    july = client.get(
        "/time-off", params={"start": "2030-07-01T00:00:00Z", "end": "2030-08-01T00:00:00Z"}
    )
    assert {r["agent_id"] for r in july.json()["items"]} == {"a-1", "a-2"}
    rejected = client.get("/time-off", params={"status": "rejected"}).json()["items"]
    assert [r["agent_id"] for r in rejected] == ["a-1"]
    page = client.get("/time-off", params={"limit": 2}).json()
    rest = client.get("/time-off", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert len(page["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None


def test_balances_csv_import_names_bad_rows(client: TestClient, floor: None) -> None:
    csv = "agent_id,type,hours\na-1,sick,16\na-2,vacation,12.5\n"
    resp = client.post(
        "/time-off-balances/import", content=csv, headers={"content-type": "text/csv"}
    )
    assert resp.status_code == 200 and resp.json() == {"rows": 2, "agents": 2}
    assert balance(client, "a-1", "sick") == 16 and balance(client, "a-2") == 12.5
    bad = "agent_id,type,hours\na-1,sick,lots\nghost,vacation,8\na-2,vac\x00ation,1\na-3,sick,-1\n"
    resp = client.post(
        "/time-off-balances/import", content=bad, headers={"content-type": "text/csv"}
    )
    assert resp.status_code == 422
    assert [e["row"] for e in resp.json()["errors"]] == [2, 3, 4, 5]
    assert "unknown agent" in resp.json()["errors"][1]["message"]
    assert balance(client, "a-1", "sick") == 16  # all or nothing
    missing = client.post(
        "/time-off-balances/import", content="agent,hours\n", headers={"content-type": "text/csv"}
    )
    assert missing.status_code == 422
    # What the fuzzer sent: a bare CR in the header line, and a NUL.
    for junk in ("\r\uc0be\x94\U000fe03d\xcdx", "agent_id,type,hours\na-1,si\x00ck,1\n"):
        resp = client.post(
            "/time-off-balances/import", content=junk.encode(), headers={"content-type": "text/csv"}
        )
        assert resp.status_code == 422, resp.text


def test_generation_treats_approved_time_off_as_unavailable(
    client: TestClient, floor: None
) -> None:
    request(client, "a-2", "2030-07-01T00:00:00Z", "2030-07-02T00:00:00Z")
    body = {
        "interval_minutes": 60,
        "requirement": [
            {"start": f"2030-07-01T{h:02d}:00:00Z", "required": 1} for h in range(8, 16)
        ],
        "agents": [{"agent_id": "a-2"}, {"agent_id": "a-3"}],
        "shift_templates": [{"name": "day", "length_minutes": 480}],
        "time_limit_seconds": 5,
    }
    resp = client.post("/schedules/generate", json=body)
    assert resp.status_code == 201, resp.text
    assert {s["agent_id"] for s in resp.json()["shifts"]} == {"a-3"}
