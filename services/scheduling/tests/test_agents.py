"""``/agents``: create, read, list, change, delete; roles and validation."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from services.scheduling.tests.conftest import make_settings

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
        app.state.res.verifier.set_keys(tokens.jwks())
        resp = client.get("/agents", headers={"Authorization": f"Bearer {tokens.token()}"})
    assert resp.status_code == 503
    assert resp.headers["content-type"].startswith("application/problem+json")
