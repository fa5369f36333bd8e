"""``/shifts``: rules, overlap, UTC, filters, cursor pagination, roles, outbox rows."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from services.scheduling.tests.conftest import outbox

from opticall_common.db import transaction
from opticall_scheduling.errors import ShiftOverlap
from opticall_scheduling.shifts.schemas import ShiftCreate
from opticall_scheduling.shifts.service import create_shifts


@pytest.fixture
def agents(client: TestClient) -> list[str]:
    for agent_id in ("a-1", "a-2"):
        assert client.post("/agents", json={"agent_id": agent_id, "name": agent_id}).status_code
    return ["a-1", "a-2"]


def shift(agent: str, start: str, end: str, **extra: object) -> dict[str, object]:
    return {"agent_id": agent, "start": start, "end": end, **extra}


def test_create_returns_id_and_utc(client: TestClient, agents: list[str]) -> None:
    resp = client.post(
        "/shifts",
        json=shift(
            "a-1",
            "2026-03-02T09:00:00+02:00",
            "2026-03-02T17:00:00+02:00",
            queue="sales",
            activities=[
                {"kind": "lunch", "start": "2026-03-02T10:00:00Z", "end": "2026-03-02T10:30:00Z"}
            ],
        ),
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["id"]
    assert body["shift"]["start"] == "2026-03-02T07:00:00Z"
    assert body["shift"]["end"] == "2026-03-02T15:00:00Z"
    got = client.get(f"/shifts/{body['id']}").json()
    assert got["start"] == "2026-03-02T07:00:00Z" and got["queue"] == "sales"
    assert got["activities"][0]["kind"] == "lunch"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (shift("a-1", "2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z"), "end"),
        (shift("a-1", "2026-03-02T10:00:00Z", "2026-03-02T09:00:00Z"), "end"),
        (shift("zz", "2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z"), "agent_id"),
        (shift("a-1", "2026-03-02T08:00:00", "2026-03-02T09:00:00Z"), "start"),
        (shift("a-1", "not a time", "2026-03-02T09:00:00Z"), "start"),
        (shift("a-1", "2026-02-30T08:00:00Z", "2026-03-02T09:00:00Z"), "start"),
        (shift("a-1", "2026-03-02T00:00:00Z", "2026-03-02T12:00:01Z"), "end"),
        (
            shift(
                "a-1",
                "2026-03-02T08:00:00Z",
                "2026-03-02T12:00:00Z",
                activities=[
                    {
                        "kind": "break",
                        "start": "2026-03-02T11:50:00Z",
                        "end": "2026-03-02T12:10:00Z",
                    }
                ],
            ),
            "activities.0",
        ),
        (
            shift(
                "a-1",
                "2026-03-02T08:00:00Z",
                "2026-03-02T12:00:00Z",
                activities=[
                    {
                        "kind": "break",
                        "start": "2026-03-02T09:00:00Z",
                        "end": "2026-03-02T09:30:00Z",
                    },
                    {
                        "kind": "meeting",
                        "start": "2026-03-02T09:15:00Z",
                        "end": "2026-03-02T10:00:00Z",
                    },
                ],
            ),
            "activities.1",
        ),
    ],
)
def test_invalid_shifts_are_422_problems(
    client: TestClient, agents: list[str], body: dict[str, object], field: str
) -> None:
    resp = client.post("/shifts", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert any(e["field"].endswith(field) for e in problem["errors"]), problem
    assert client.get("/shifts").json()["items"] == []
    assert outbox(client.app) == []  # type: ignore[arg-type]


def test_inactive_agent_cannot_get_shifts(client: TestClient, agents: list[str]) -> None:
    client.patch("/agents/a-2", json={"active": False})
    resp = client.post("/shifts", json=shift("a-2", "2026-03-02T08:00:00Z", "2026-03-02T09:00Z"))
    assert resp.status_code == 422 and "inactive" in resp.json()["detail"]


def test_overlap_is_409_but_touching_and_other_agents_are_fine(
    client: TestClient, agents: list[str]
) -> None:
    first = client.post("/shifts", json=shift("a-1", "2026-03-02T08:00:00Z", "2026-03-02T12:00Z"))
    assert first.status_code == 201
    clash = client.post("/shifts", json=shift("a-1", "2026-03-02T13:00+02:00", "2026-03-02T14:00Z"))
    assert clash.status_code == 409, clash.text
    assert clash.json()["conflicting_shift_id"] == first.json()["id"]
    # The clashing times, so a client can name them rather than an id.
    assert clash.json()["conflicting_start"].startswith("2026-03-02T08:00:00")
    assert clash.json()["conflicting_end"].startswith("2026-03-02T12:00:00")
    touching = shift("a-1", "2026-03-02T12:00:00Z", "2026-03-02T16:00:00Z")
    assert client.post("/shifts", json=touching).status_code == 201
    other = shift("a-2", "2026-03-02T08:00:00Z", "2026-03-02T12:00:00Z")
    assert client.post("/shifts", json=other).status_code == 201


def test_bulk_is_all_or_nothing_and_names_the_index(client: TestClient, agents: list[str]) -> None:
    good = [shift("a-1", f"2026-03-0{d}T08:00:00Z", f"2026-03-0{d}T16:00:00Z") for d in (2, 3, 4)]
    bad = [*good, shift("zz", "2026-03-05T08:00:00Z", "2026-03-05T16:00:00Z")]
    resp = client.post("/shifts/bulk", json=bad)
    assert resp.status_code == 422
    assert resp.json()["errors"] == [{"index": 3, "field": "agent_id", "message": "unknown agent"}]
    clash = [*good, shift("a-1", "2026-03-03T15:00:00Z", "2026-03-03T18:00:00Z")]
    resp = client.post("/shifts/bulk", json=clash)
    assert resp.status_code == 409 and resp.json()["index"] == 3
    assert client.get("/shifts").json()["items"] == []
    resp = client.post("/shifts/bulk", json=good)
    assert resp.status_code == 201 and len(resp.json()["ids"]) == 3
    resp = client.post("/shifts/bulk", json=[good[1]])  # overlaps what is now stored
    assert resp.status_code == 409 and resp.json()["index"] == 0
    assert client.post("/shifts/bulk", json=[]).status_code == 422
    schema_error = client.post("/shifts/bulk", json=[good[0], {"agent_id": "a-1"}])
    assert schema_error.status_code == 422
    assert any(e["field"].startswith("body.1") for e in schema_error.json()["errors"])


def test_filters_and_cursor_pagination(client: TestClient, agents: list[str]) -> None:
    created = []
    for day in range(1, 8):
        for agent, queue in (("a-1", "sales"), ("a-2", "support")):
            body = shift(agent, f"2026-03-0{day}T08:00Z", f"2026-03-0{day}T16:00Z", queue=queue)
            created.append(client.post("/shifts", json=body).json()["id"])
    seen: list[dict[str, str]] = []
    cursor = None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = client.get("/shifts", params=params).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(s["id"] for s in seen) == sorted(created)
    assert [s["start"] for s in seen] == sorted(s["start"] for s in seen)
    window = client.get(
        "/shifts",
        params={
            "agent_id": "a-2",
            "start": "2026-03-03T12:00:00+01:00",
            "end": "2026-03-05T00:00Z",
        },
    ).json()["items"]
    assert [(s["agent_id"], s["start"]) for s in window] == [
        ("a-2", "2026-03-03T08:00:00Z"),
        ("a-2", "2026-03-04T08:00:00Z"),
    ]
    sales = client.get("/shifts", params={"queue": "sales", "limit": 100}).json()["items"]
    assert len(sales) == 7 and {s["agent_id"] for s in sales} == {"a-1"}
    assert client.get("/shifts", params={"cursor": "garbage!"}).status_code == 422
    assert client.get("/shifts", params={"start": "yesterday"}).status_code == 422


def test_agents_see_only_their_own_shifts(
    client: TestClient, agents: list[str], as_role: Callable[..., dict[str, str]]
) -> None:
    mine = client.post("/shifts", json=shift("a-1", "2026-03-02T08:00Z", "2026-03-02T16:00Z"))
    theirs = client.post("/shifts", json=shift("a-2", "2026-03-02T08:00Z", "2026-03-02T16:00Z"))
    me = as_role("agent", agent_id="a-1")
    items = client.get("/shifts", headers=me).json()["items"]
    assert [s["id"] for s in items] == [mine.json()["id"]]
    assert client.get("/shifts", params={"agent_id": "a-2"}, headers=me).status_code == 403
    assert client.get(f"/shifts/{mine.json()['id']}", headers=me).status_code == 200
    assert client.get(f"/shifts/{theirs.json()['id']}", headers=me).status_code == 404
    unlinked = as_role("agent")
    assert client.get("/shifts", headers=unlinked).json()["items"] == []
    assert client.get(f"/shifts/{mine.json()['id']}", headers=unlinked).status_code == 403
    new = shift("a-1", "2026-03-03T08:00Z", "2026-03-03T16:00Z")
    assert client.post("/shifts", json=new, headers=me).status_code == 403
    assert client.delete(f"/shifts/{mine.json()['id']}", headers=me).status_code == 403


def test_patch_delete_and_outbox_rows(client: TestClient, agents: list[str]) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    sid = client.post(
        "/shifts", json=shift("a-1", "2026-03-02T08:00Z", "2026-03-02T16:00Z")
    ).json()["id"]
    client.post("/shifts", json=shift("a-1", "2026-03-02T17:00Z", "2026-03-02T20:00Z"))
    too_long = client.patch(f"/shifts/{sid}", json={"end": "2026-03-02T21:00:00Z"})
    assert too_long.status_code in (409, 422)  # overlaps the evening shift (and too long)
    moved = client.patch(f"/shifts/{sid}", json={"start": "2026-03-02T09:00:00+00:00"})
    assert moved.status_code == 200 and moved.json()["start"] == "2026-03-02T09:00:00Z"
    assert client.patch(f"/shifts/{sid}", json={"end": "2026-03-02T08:00Z"}).status_code == 422
    assert client.patch("/shifts/nope", json={"queue": "x"}).status_code == 404
    assert client.delete(f"/shifts/{sid}").status_code == 204
    assert client.get(f"/shifts/{sid}").status_code == 404
    events = outbox(app)
    assert [(e["op"], e["shift_id"] == sid) for e in events] == [
        ("created", True),
        ("created", False),
        ("updated", True),
        ("deleted", True),
    ]
    assert len({e["change_id"] for e in events}) == 4
    assert events[2]["shift"]["start"] == "2026-03-02T09:00:00Z"


def test_create_shifts_in_a_rolled_back_transaction_leaves_no_outbox_row(
    client: TestClient, agents: list[str]
) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    item = ShiftCreate.model_validate(shift("a-1", "2026-03-02T08:00Z", "2026-03-02T16:00Z"))
    with pytest.raises(RuntimeError), transaction(app.state.runtime.sessions) as session:
        create_shifts(session, [item], "tester")
        raise RuntimeError("caller aborts")
    assert outbox(app) == []
    with transaction(app.state.runtime.sessions) as session:
        (created,) = create_shifts(session, [item], "tester")
    assert [e["shift_id"] for e in outbox(app)] == [created.id]


def test_deleting_an_agent_deletes_its_shifts_with_events(
    client: TestClient, agents: list[str]
) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    client.post("/shifts", json=shift("a-1", "2026-03-02T08:00Z", "2026-03-02T16:00Z"))
    assert client.delete("/agents/a-1").status_code == 204
    assert client.get("/shifts").json()["items"] == []
    assert [e["op"] for e in outbox(app)] == ["created", "deleted"]


def test_concurrent_overlapping_creates_exactly_one_wins(
    client: TestClient, agents: list[str]
) -> None:
    """PostgreSQL: the exclusion constraint; SQLite: the check inside BEGIN IMMEDIATE."""
    app: FastAPI = client.app  # type: ignore[assignment]

    def attempt(i: int) -> str:
        item = ShiftCreate.model_validate(
            shift("a-1", f"2026-03-02T08:{i:02d}:00Z", f"2026-03-02T12:{i:02d}:00Z")
        )
        try:
            with transaction(app.state.runtime.sessions) as session:
                create_shifts(session, [item], "tester")
        except ShiftOverlap:
            return "overlap"
        return "created"

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(attempt, range(10)))
    assert sorted(results) == ["created"] + ["overlap"] * 9
    assert len(client.get("/shifts").json()["items"]) == 1
    assert len(outbox(app)) == 1
