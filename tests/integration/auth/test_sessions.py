"""Sessions end for real (issue #27 section 2): after logout, refresh-token reuse, a password
change or a disable, the session's access token is refused at the gateway and at a service
within the revocation poll (the suite polls every second), cached verifications included."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import httpx

from tests.integration.auth.revoked import get, revoked_everywhere
from tests.integration.suite import Suite


def _new_user(suite: Suite) -> tuple[str, str]:
    username = f"sess-{uuid.uuid4().hex[:8]}"
    password = secrets.token_urlsafe(16)
    body = {"username": username, "password": password, "roles": ["supervisor"]}
    with suite.client(suite.admin_token()) as c:
        resp = c.post("/users", json=body)
    assert resp.status_code == 201, resp.text
    return username, password


def _works(suite: Suite, token: str) -> None:
    """200 through the gateway and at scheduling directly: both verifiers cache it now."""
    assert get(suite.gateway, token).status_code == 200
    assert get(suite.stack.url("scheduling"), token).status_code == 200


def _post(suite: Suite, path: str, body: dict[str, Any]) -> httpx.Response:
    with suite.client() as c:
        return c.post(path, json=body)


def test_logout_ends_the_sessions_access_token_and_no_other(suite: Suite) -> None:
    username, password = _new_user(suite)
    ended, kept = suite.login(username, password), suite.login(username, password)
    _works(suite, ended["access_token"])
    _works(suite, kept["access_token"])
    assert _post(suite, "/logout", {"refresh_token": ended["refresh_token"]}).status_code == 204
    revoked_everywhere(suite, ended["access_token"])
    _works(suite, kept["access_token"])  # another session of the same user lives on
    refreshed = _post(suite, "/refresh", {"refresh_token": ended["refresh_token"]})
    assert refreshed.status_code == 401


def test_refresh_token_reuse_ends_both_access_tokens_of_the_session(suite: Suite) -> None:
    username, password = _new_user(suite)
    first = suite.login(username, password)
    rotated = _post(suite, "/refresh", {"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    _works(suite, first["access_token"])
    _works(suite, second["access_token"])
    # The first refresh token again: stolen, so the whole session goes.
    assert _post(suite, "/refresh", {"refresh_token": first["refresh_token"]}).status_code == 401
    revoked_everywhere(suite, first["access_token"])
    revoked_everywhere(suite, second["access_token"])
    assert _post(suite, "/refresh", {"refresh_token": second["refresh_token"]}).status_code == 401


def _admin_patch(suite: Suite, username: str, change: dict[str, Any]) -> None:
    with suite.client(suite.admin_token()) as c:
        resp = c.patch(f"/users/{username}", json=change)
    assert resp.status_code == 200, resp.text


def test_a_password_change_ends_every_session(suite: Suite) -> None:
    username, password = _new_user(suite)
    pairs = [suite.login(username, password) for _ in range(2)]
    for pair in pairs:
        _works(suite, pair["access_token"])
    new_password = secrets.token_urlsafe(16)
    _admin_patch(suite, username, {"password": new_password})
    for pair in pairs:
        revoked_everywhere(suite, pair["access_token"])
        assert _post(suite, "/refresh", {"refresh_token": pair["refresh_token"]}).status_code == 401
    _works(suite, suite.login(username, new_password)["access_token"])


def test_disabling_ends_every_session(suite: Suite) -> None:
    username, password = _new_user(suite)
    pair = suite.login(username, password)
    _works(suite, pair["access_token"])
    with suite.client(suite.admin_token()) as c:
        assert c.delete(f"/users/{username}").status_code == 204
    revoked_everywhere(suite, pair["access_token"])
    assert _post(suite, "/refresh", {"refresh_token": pair["refresh_token"]}).status_code == 401
