"""Revocation end to end: a disabled or demoted user's live access token stops working at
the gateway and at the service itself within a few poll intervals (the suite polls every
second), and a re-enabled user logs in again at once."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.integration.suite import Suite

DEADLINE_SECONDS = 15.0


def _new_user(suite: Suite, roles: list[str]) -> tuple[str, str]:
    username = f"rev-{uuid.uuid4().hex[:8]}"
    password = secrets.token_urlsafe(12)
    body: dict[str, Any] = {"username": username, "password": password, "roles": roles}
    with suite.client(suite.admin_token()) as c:
        resp = c.post("/users", json=body)
    assert resp.status_code == 201, resp.text
    return username, password


def _get(base_url: str, token: str, path: str = "/agents") -> httpx.Response:
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as c:
        return c.get(path)


def _eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"{what} within {DEADLINE_SECONDS} s"
        time.sleep(0.2)


def _revoked_everywhere(suite: Suite, token: str) -> None:
    """401 problem+json for ``token`` at the gateway and directly at scheduling."""
    for base in (suite.gateway, suite.stack.url("scheduling")):
        _eventually(lambda b=base: _get(b, token).status_code == 401, f"401 at {base}")
        resp = _get(base, token)
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["status"] == 401 and resp.json()["detail"] == "token revoked"


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
    assert _get(suite.gateway, token).status_code == 200
    assert _get(suite.stack.url("scheduling"), token).status_code == 200

    _admin_patch(suite, username, {"disabled": True})
    _revoked_everywhere(suite, token)

    _admin_patch(suite, username, {"disabled": False})
    fresh = suite.login(username, password)["access_token"]
    assert _get(suite.gateway, fresh).status_code == 200
    assert _get(suite.stack.url("scheduling"), fresh).status_code == 200
    assert _get(suite.gateway, token).status_code == 401  # the old one stays dead


def test_demoted_supervisor_loses_the_role_with_the_old_token(suite: Suite) -> None:
    username, password = _new_user(suite, ["supervisor"])
    pair = suite.login(username, password)
    assert _get(suite.gateway, pair["access_token"]).status_code == 200

    _admin_patch(suite, username, {"roles": ["agent"]})
    _revoked_everywhere(suite, pair["access_token"])

    # The session survives a demotion: a refresh gives a token with the new role only.
    with suite.client() as c:
        resp = c.post("/refresh", json={"refresh_token": pair["refresh_token"]})
    assert resp.status_code == 200, resp.text
    demoted = resp.json()["access_token"]
    me = _get(suite.gateway, demoted, "/protected")
    assert me.status_code == 200 and me.json()["roles"] == ["agent"]
    assert _get(suite.gateway, demoted).status_code == 403
    assert _get(suite.stack.url("scheduling"), demoted).status_code == 403


def test_the_revocation_list_is_not_public(suite: Suite) -> None:
    with suite.client() as c:
        assert c.get("/.well-known/revocations").status_code == 404
    # Auth serves it to the services (no token: they hold none).
    resp = httpx.get(f"{suite.stack.url('auth')}/.well-known/revocations", timeout=30)
    assert resp.status_code == 200 and isinstance(resp.json()["revocations"], list)
