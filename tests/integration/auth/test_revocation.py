"""Revocation end to end: a disabled or demoted user's live access token stops working at
the gateway and at the service itself within a few poll intervals (the suite polls every
second), and a re-enabled user logs in again at once."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import httpx

from tests.integration.auth.revoked import get, revoked_everywhere
from tests.integration.suite import Suite


def _new_user(suite: Suite, roles: list[str]) -> tuple[str, str]:
    username = f"rev-{uuid.uuid4().hex[:8]}"
    password = secrets.token_urlsafe(12)
    body: dict[str, Any] = {"username": username, "password": password, "roles": roles}
    with suite.client(suite.admin_token()) as c:
        resp = c.post("/users", json=body)
    assert resp.status_code == 201, resp.text
    return username, password


def _admin_patch(suite: Suite, username: str, change: dict[str, Any]) -> None:
    with suite.client(suite.admin_token()) as c:
        resp = c.patch(f"/users/{username}", json=change)
    assert resp.status_code == 200, resp.text


def test_disabled_supervisor_token_dies_and_re_enabled_user_logs_in_again(
    suite: Suite,
) -> None:
    username, password = _new_user(suite, ["supervisor"])
    token = suite.login(username, password)["access_token"]
    # Works, and is now in both verifiers' caches.
    assert get(suite.gateway, token).status_code == 200
    assert get(suite.stack.url("scheduling"), token).status_code == 200

    _admin_patch(suite, username, {"disabled": True})
    revoked_everywhere(suite, token)

    _admin_patch(suite, username, {"disabled": False})
    fresh = suite.login(username, password)["access_token"]
    assert get(suite.gateway, fresh).status_code == 200
    assert get(suite.stack.url("scheduling"), fresh).status_code == 200
    assert get(suite.gateway, token).status_code == 401  # the old one stays dead


def test_demoted_supervisor_loses_the_role_with_the_old_token(suite: Suite) -> None:
    username, password = _new_user(suite, ["supervisor"])
    pair = suite.login(username, password)
    assert get(suite.gateway, pair["access_token"]).status_code == 200

    _admin_patch(suite, username, {"roles": ["agent"]})
    revoked_everywhere(suite, pair["access_token"])

    # The session survives a demotion: a refresh gives a token with the new role only.
    with suite.client() as c:
        resp = c.post("/refresh", json={"refresh_token": pair["refresh_token"]})
    assert resp.status_code == 200, resp.text
    demoted = resp.json()["access_token"]
    me = get(suite.gateway, demoted, "/protected")
    assert me.status_code == 200 and me.json()["roles"] == ["agent"]
    assert get(suite.gateway, demoted).status_code == 403
    assert get(suite.stack.url("scheduling"), demoted).status_code == 403


def test_the_revocation_list_is_not_public(suite: Suite) -> None:
    with suite.client() as c:
        assert c.get("/.well-known/revocations").status_code == 404
    # Auth serves it to the services (no token: they hold none).
    resp = httpx.get(f"{suite.stack.url('auth')}/.well-known/revocations", timeout=30)
    assert resp.status_code == 200 and isinstance(resp.json()["revocations"], list)
