"""Auth end to end through the gateway: login, refresh rotation, logout, users, throttling.

Everything here goes through ``suite.gateway``, which sets ``X-Forwarded-For`` from the TCP
peer it sees. "Another client" is therefore another loopback address (127.0.0.x), bound as
the connection's source address. Failed logins come from addresses of their own so they never
count against 127.0.0.1, which every other integration test logs in from.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import httpx

from opticall_common.security import TokenVerifier
from tests.integration.suite import Suite


def _client_from(suite: Suite, source: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(
        base_url=suite.gateway,
        headers=headers,
        timeout=30,
        transport=httpx.HTTPTransport(local_address=source),
    )


def _new_user(suite: Suite, roles: list[str], agent_id: str | None = None) -> tuple[str, str]:
    username = f"it-{uuid.uuid4().hex[:8]}"
    password = secrets.token_urlsafe(12)
    body: dict[str, Any] = {"username": username, "password": password, "roles": roles}
    if agent_id:
        body["agent_id"] = agent_id
    with suite.client(suite.admin_token()) as c:
        resp = c.post("/users", json=body)
    assert resp.status_code == 201, resp.text
    return username, password


def test_login_good_and_bad(suite: Suite) -> None:
    tokens = suite.login("admin", suite.admin_password)
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] > 0
    with suite.client(tokens["access_token"]) as c:
        me = c.get("/protected")
    assert me.status_code == 200
    assert me.json()["username"] == "admin" and "admin" in me.json()["roles"]

    with _client_from(suite, "127.0.0.11") as c:
        wrong = c.post("/login", json={"username": "admin", "password": "not-the-password"})
        unknown = c.post("/login", json={"username": "nobody-x", "password": "whatever-pw"})
        malformed = c.post("/login", json={"username": "admin"})
    for resp in (wrong, unknown):
        assert resp.status_code == 401
        assert resp.headers["content-type"].startswith("application/problem+json")
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert malformed.status_code == 422
    assert malformed.headers["content-type"].startswith("application/problem+json")


async def test_tokens_verify_against_the_jwks_served_by_the_gateway(suite: Suite) -> None:
    username, password = _new_user(suite, ["agent"], agent_id="a-it-1")
    token = suite.login(username, password)["access_token"]
    async with httpx.AsyncClient(timeout=10) as http:
        verifier = TokenVerifier(
            suite.gateway + "/.well-known/jwks.json", "opticall-auth", "opticall", http=http
        )
        principal = await verifier.verify(token)
    assert principal.username == username
    assert principal.roles == frozenset({"agent"})
    assert principal.agent_id == "a-it-1"


def test_refresh_rotates_and_reuse_revokes_the_session(suite: Suite) -> None:
    first = suite.login("admin", suite.admin_password)
    with suite.client() as c:
        rotated = c.post("/refresh", json={"refresh_token": first["refresh_token"]})
        assert rotated.status_code == 200, rotated.text
        second = rotated.json()
        assert second["refresh_token"] != first["refresh_token"]
        with suite.client(second["access_token"]) as authed:
            assert authed.get("/protected").status_code == 200

        reuse = c.post("/refresh", json={"refresh_token": first["refresh_token"]})
        assert reuse.status_code == 401
        assert reuse.headers["content-type"].startswith("application/problem+json")
        # The whole family is gone, the newest token included.
        newest = c.post("/refresh", json={"refresh_token": second["refresh_token"]})
        assert newest.status_code == 401


def test_logout_revokes_the_refresh_token(suite: Suite) -> None:
    tokens = suite.login("admin", suite.admin_password)
    with suite.client() as c:
        assert c.post("/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
        resp = c.post("/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert resp.status_code == 401


def test_admin_creates_users_and_only_admins_may(suite: Suite) -> None:
    username, password = _new_user(suite, ["supervisor"])
    with suite.client(suite.admin_token()) as admin:
        got = admin.get(f"/users/{username}")
        assert got.status_code == 200
        assert got.json()["roles"] == ["supervisor"] and "password" not in got.text
        listing = admin.get("/users", params={"limit": 500})
        assert username in [u["username"] for u in listing.json()["items"]]
        dup = admin.post(
            "/users",
            json={
                "username": username,
                "password": "another-long-passphrase-1",
                "roles": ["agent"],
            },
        )
        assert dup.status_code == 409
        bad_role = admin.post(
            "/users",
            json={"username": "it-bad", "password": "another-long-passphrase-1", "roles": ["boss"]},
        )
        assert bad_role.status_code == 422

    supervisor = suite.login(username, password)["access_token"]
    with suite.client(supervisor) as c:
        assert c.get("/users").status_code == 403
    with suite.client() as anonymous:
        assert anonymous.get("/users").status_code == 401


def test_disabled_user_is_locked_out(suite: Suite) -> None:
    username, password = _new_user(suite, ["agent"])
    refresh = suite.login(username, password)["refresh_token"]
    with suite.client(suite.admin_token()) as admin:
        assert admin.delete(f"/users/{username}").status_code == 204
    with _client_from(suite, "127.0.0.14") as c:
        login = c.post("/login", json={"username": username, "password": password})
        assert login.status_code == 401
        assert c.post("/refresh", json={"refresh_token": refresh}).status_code == 401


def test_brute_force_is_throttled_while_the_user_logs_in_from_another_client(
    suite: Suite,
) -> None:
    username, password = _new_user(suite, ["agent"])
    body = {"username": username, "password": password}
    with _client_from(suite, "127.0.0.12") as bad:
        for _ in range(5):
            resp = bad.post("/login", json={"username": username, "password": "guess-guess"})
            assert resp.status_code == 401
        blocked = bad.post("/login", json={"username": username, "password": "guess-guess"})
        assert blocked.status_code == 429
        assert blocked.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(blocked.headers["Retry-After"]) <= 300
        # Even the right password waits; and claiming another address changes nothing, as
        # the gateway replaces X-Forwarded-For with the address it really sees.
        assert bad.post("/login", json=body).status_code == 429
        spoofed = bad.post("/login", json=body, headers={"X-Forwarded-For": "127.0.0.13"})
        assert spoofed.status_code == 429

    with _client_from(suite, "127.0.0.13") as real_user:
        resp = real_user.post("/login", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["access_token"]

    metrics = httpx.get(suite.stack.url("auth") + "/metrics", timeout=10).text
    assert 'opticall_auth_logins_total{outcome="throttled"}' in metrics
