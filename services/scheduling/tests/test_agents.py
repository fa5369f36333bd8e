"""``/agents``: create, read, list, change, delete; roles and validation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from services.scheduling.tests.conftest import make_settings
from sqlalchemy import event

from opticall_common.testing import TokenFactory
from opticall_scheduling.main import create_app


def test_create_get_list_patch_delete(client: TestClient) -> None:
    resp = client.post(
        "/agents",
        json={"agent_id": "a-1", "name": "Ada", "queues": ["sales"], "timezone": "Europe/Berlin"},
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["active"] is True and resp.json()["queues"] == ["sales"]

    dup = client.post("/agents", json={"agent_id": "a-1", "name": "Other"})
    assert dup.status_code == 409
    assert dup.headers["content-type"].startswith("application/problem+json")

    client.post("/agents", json={"agent_id": "a-2", "name": "Bob", "queues": ["support"]})
    assert client.get("/agents/a-1").json()["name"] == "Ada"
    assert [a["agent_id"] for a in client.get("/agents").json()["items"]] == ["a-1", "a-2"]
    assert [a["agent_id"] for a in client.get("/agents?queue=support").json()["items"]] == ["a-2"]
    page = client.get("/agents?limit=1").json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = client.get("/agents", params={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [a["agent_id"] for a in rest["items"]] == ["a-2"] and rest["next_cursor"] is None

    patched = client.patch("/agents/a-1", json={"active": False, "skills": ["fr"]})
    assert patched.status_code == 200
    assert patched.json()["active"] is False and patched.json()["skills"] == ["fr"]
    assert client.get("/agents?active=true").json()["items"][0]["agent_id"] == "a-2"

    assert client.delete("/agents/a-1").status_code == 204
    assert client.get("/agents/a-1").status_code == 404
    assert client.delete("/agents/a-1").status_code == 404


def test_agent_validation_is_422_problem(client: TestClient) -> None:
    for body in (
        {"agent_id": "a-9", "name": "X", "timezone": "Mars/Olympus"},
        {"agent_id": "", "name": "X"},
        {"name": "no id"},
    ):
        resp = client.post("/agents", json=body)
        assert resp.status_code == 422, body
        assert resp.headers["content-type"].startswith("application/problem+json")


def test_agents_need_staff_role(client: TestClient, as_role: Callable[..., dict[str, str]]) -> None:
    assert client.get("/agents", headers=as_role("agent", agent_id="a-1")).status_code == 403
    assert client.get("/agents", headers={"Authorization": ""}).status_code == 401
    assert client.get("/agents", headers=as_role("admin")).status_code == 200


def test_database_outage_is_503_problem(tokens: TokenFactory) -> None:
    settings = make_settings(
        "postgresql+psycopg2://nobody:x@127.0.0.1:9/none", run_migrations=False
    )
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        app.state.runtime.res.verifier.set_keys(tokens.jwks())
        resp = client.get("/agents", headers={"Authorization": f"Bearer {tokens.token()}"})
    assert resp.status_code == 503
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_queue_filter_matches_list_members_exactly_and_pages(client: TestClient) -> None:
    queues = {
        "q-01": ["sales", "support"],
        "q-02": ["salesforce"],  # a longer name: no substring matches
        "q-03": [],
        "q-04": ["Sales"],  # queue names are case-sensitive
        "q-05": ["support", "sales"],
        "q-06": ["s%"],  # no LIKE wildcards either
        "q-07": ['quote"d', "sales"],
        "q-08": ["sales"],
        "q-09": ["billing"],
    }
    for agent_id, qs in queues.items():
        resp = client.post("/agents", json={"agent_id": agent_id, "name": agent_id, "queues": qs})
        assert resp.status_code == 201, resp.text

    def ids(**params: object) -> list[str]:
        resp = client.get("/agents", params=params)
        assert resp.status_code == 200, resp.text
        return [a["agent_id"] for a in resp.json()["items"]]

    assert ids(queue="sales") == ["q-01", "q-05", "q-07", "q-08"]
    assert ids(queue="s%") == ["q-06"]
    assert ids(queue="s_les") == []
    assert ids(queue='quote"d') == ["q-07"]
    assert ids(queue="nobody") == []
    # Pages of the filtered list: the cursor continues after the last agent of the page.
    first = client.get("/agents", params={"queue": "sales", "limit": 3}).json()
    assert [a["agent_id"] for a in first["items"]] == ["q-01", "q-05", "q-07"]
    assert first["next_cursor"] == "q-07"
    rest = client.get(
        "/agents", params={"queue": "sales", "limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [a["agent_id"] for a in rest["items"]] == ["q-08"] and rest["next_cursor"] is None
    client.patch("/agents/q-05", json={"active": False})
    assert ids(queue="sales", active=True) == ["q-01", "q-07", "q-08"]


def test_queue_filter_runs_in_sql_and_reads_one_page(client: TestClient) -> None:
    """The database filters and limits (one query), instead of every agent read into Python."""
    for n in range(30):
        queues = ["sales"] if n % 10 == 0 else ["support"]
        client.post("/agents", json={"agent_id": f"s-{n:02d}", "name": "x", "queues": queues})
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM agents" in statement:
            statements.append(statement)

    event.listen(engine, "after_cursor_execute", seen)
    try:
        resp = client.get("/agents", params={"queue": "sales", "limit": 2})
    finally:
        event.remove(engine, "after_cursor_execute", seen)
    assert [a["agent_id"] for a in resp.json()["items"]] == ["s-00", "s-10"]
    assert len(statements) == 1
    sql = statements[0]
    assert "LIMIT" in sql.upper()
    assert ("@>" in sql) if engine.dialect.name == "postgresql" else ("json_each" in sql)
