"""/users: admin-only user administration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

Login = Callable[[TestClient, str, str], dict[str, Any]]
MakeUser = Callable[..., tuple[str, str]]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_create_get_and_list_users_without_hashes(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {
        "username": "sup.one",
        "password": "a-good-long-passphrase",
        "roles": ["supervisor", "agent", "agent"],
        "agent_id": "a-7",
    }
    resp = client.post("/users", json=body, headers=admin_headers)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["username"] == "sup.one"
    assert created["roles"] == ["agent", "supervisor"]
    assert created["agent_id"] == "a-7" and created["disabled"] is False
    assert created["created_at"].endswith("Z")

    got = client.get("/users/sup.one", headers=admin_headers).json()
    assert got == created
    listing = client.get("/users", headers=admin_headers).json()
    assert listing["total"] == 2
    assert [u["username"] for u in listing["items"]] == ["admin", "sup.one"]
    assert "password" not in resp.text and "hash" not in listing.__repr__()


def test_list_is_paginated(
    client: TestClient, admin_headers: dict[str, str], make_user: MakeUser
) -> None:
    names = sorted(make_user()[0] for _ in range(3))
    page = client.get("/users?limit=2&offset=1", headers=admin_headers).json()
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 1)
    assert [u["username"] for u in page["items"]] == sorted(["admin", *names])[1:3]
    bad = client.get("/users?limit=0", headers=admin_headers)
    assert bad.status_code == 422


@pytest.mark.parametrize(
    "query", ["offset=1000001", "offset=99999999999999999999", "limit=501", "limit=10**9"]
)
def test_out_of_range_paging_is_a_422_problem(
    client: TestClient, admin_headers: dict[str, str], query: str
) -> None:
    """Huge offsets once reached the database and overflowed its integer: a 500."""
    resp = client.get(f"/users?{query}", headers=admin_headers)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert client.get("/users?offset=1000000", headers=admin_headers).status_code == 200


def test_duplicate_username_is_409(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = {"username": "dup", "password": "a-good-long-passphrase", "roles": ["agent"]}
    assert client.post("/users", json=body, headers=admin_headers).status_code == 201
    resp = client.post("/users", json=body, headers=admin_headers)
    assert resp.status_code == 409
    assert resp.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "x1", "password": "a-good-long-passphrase", "roles": ["wizard"]}, "roles"),
        ({"username": "x1", "password": "short", "roles": ["agent"]}, "password"),
        ({"username": "x1", "password": "aaaaaaaaaa", "roles": ["agent"]}, "password"),
        ({"username": "samesame", "password": "samesame", "roles": ["agent"]}, "password"),
        ({"username": "x1", "password": "a-good-long-passphrase", "roles": []}, "roles"),
        (
            {"username": "bad name", "password": "a-good-long-passphrase", "roles": ["agent"]},
            "username",
        ),
        ({"username": "x1", "password": "a-good-long-passphrase", "roles": ["agent"], "x": 1}, "x"),
    ],
    ids=["unknown-role", "short", "one-char", "is-username", "no-role", "bad-name", "extra"],
)
def test_invalid_users_are_422_problems(
    client: TestClient, admin_headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    resp = client.post("/users", json=body, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert any(e["field"].startswith(f"body.{field}") for e in resp.json()["errors"])


def test_only_admins_administer_users(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    username, password = make_user(roles=("supervisor",))
    token = login(client, username, password)["access_token"]
    assert client.get("/users", headers=_bearer(token)).status_code == 403
    body = {"username": "sneaky", "password": "a-good-long-passphrase", "roles": ["admin"]}
    assert client.post("/users", json=body, headers=_bearer(token)).status_code == 403
    assert client.get("/users").status_code == 401
    assert client.get("/users", headers=_bearer("garbage")).status_code == 401


def test_unknown_user_is_404(client: TestClient, admin_headers: dict[str, str]) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        kw: dict[str, Any] = {"json": {"disabled": False}} if method == "PATCH" else {}
        resp = client.request(method, "/users/ghost", headers=admin_headers, **kw)
        assert resp.status_code == 404, method
        assert resp.headers["content-type"] == "application/problem+json"


def test_patch_updates_fields_and_unlinks_the_agent(
    client: TestClient, admin_headers: dict[str, str], make_user: MakeUser
) -> None:
    username, _ = make_user(roles=("agent",), agent_id="a-1")
    resp = client.patch(f"/users/{username}", json={"roles": ["supervisor"]}, headers=admin_headers)
    assert resp.json()["roles"] == ["supervisor"] and resp.json()["agent_id"] == "a-1"
    resp = client.patch(f"/users/{username}", json={"agent_id": None}, headers=admin_headers)
    assert resp.status_code == 200 and resp.json()["agent_id"] is None
    bad = client.patch(f"/users/{username}", json={"roles": ["root"]}, headers=admin_headers)
    assert bad.status_code == 422


def test_password_change_replaces_the_password_and_ends_sessions(
    client: TestClient, admin_headers: dict[str, str], make_user: MakeUser, login: Login
) -> None:
    username, old = make_user()
    refresh = login(client, username, old)["refresh_token"]
    resp = client.patch(
        f"/users/{username}", json={"password": "a-brand-new-passphrase"}, headers=admin_headers
    )
    assert resp.status_code == 200
    assert client.post("/login", json={"username": username, "password": old}).status_code == 401
    login(client, username, "a-brand-new-passphrase")
    assert client.post("/refresh", json={"refresh_token": refresh}).status_code == 401


def test_disabling_revokes_refresh_tokens_and_enabling_restores_login(
    client: TestClient, admin_headers: dict[str, str], make_user: MakeUser, login: Login
) -> None:
    username, password = make_user()
    refresh = login(client, username, password)["refresh_token"]
    assert client.delete(f"/users/{username}", headers=admin_headers).status_code == 204
    assert client.get(f"/users/{username}", headers=admin_headers).json()["disabled"] is True
    assert client.post("/refresh", json={"refresh_token": refresh}).status_code == 401
    resp = client.patch(f"/users/{username}", json={"disabled": False}, headers=admin_headers)
    assert resp.status_code == 200
    login(client, username, password)


def test_admin_cannot_lock_themselves_out(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    assert client.delete("/users/admin", headers=admin_headers).status_code == 409
    resp = client.patch("/users/admin", json={"roles": ["agent"]}, headers=admin_headers)
    assert resp.status_code == 409
    assert client.get("/users/admin", headers=admin_headers).json()["roles"] == ["admin"]


def test_a_disabled_or_demoted_admins_live_token_stops_working_here(
    client: TestClient, admin_headers: dict[str, str], make_user: MakeUser, login: Login
) -> None:
    """Auth checks the account behind an admin token, not only the token's 15-minute claims."""
    demoted, password = make_user(roles=("admin",))
    demoted_headers = _bearer(login(client, demoted, password)["access_token"])
    disabled, password2 = make_user(roles=("admin",))
    disabled_headers = _bearer(login(client, disabled, password2)["access_token"])
    assert client.get("/users", headers=demoted_headers).status_code == 200
    assert client.get("/users", headers=disabled_headers).status_code == 200

    resp = client.patch(f"/users/{demoted}", json={"roles": ["agent"]}, headers=admin_headers)
    assert resp.status_code == 200
    assert client.delete(f"/users/{disabled}", headers=admin_headers).status_code == 204

    forbidden = client.get("/users", headers=demoted_headers)
    assert forbidden.status_code == 403
    gone = client.post(
        "/users",
        json={"username": "sneaky", "password": "sneaky-pw-1-long-enough", "roles": ["admin"]},
        headers=disabled_headers,
    )
    assert gone.status_code == 401
    assert gone.headers["content-type"].startswith("application/problem+json")
    assert client.get("/users/sneaky", headers=admin_headers).status_code == 404


def test_control_characters_in_user_names_are_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    for name in ("nul\x00name", "tab\tname", "esc\x1bname"):
        body = {"username": name, "password": "a-good-long-passphrase", "roles": ["agent"]}
        resp = client.post("/users", json=body, headers=admin_headers)
        assert resp.status_code == 422, (name, resp.text)
        login = client.post("/login", json={"username": name, "password": "whatever-it-is"})
        assert login.status_code == 422, (name, login.text)
        assert "control characters" in login.text
    assert client.get("/users/nul%00name", headers=admin_headers).status_code == 404
