"""tokens_valid_after is set by every change that must end a user's access tokens, and
``/.well-known/revocations`` lists the recent ones for the verifiers."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from opticall_auth.models import User
from opticall_common.db import transaction
from opticall_common.events import utcnow

Login = Callable[[TestClient, str, str], dict[str, Any]]
MakeUser = Callable[..., tuple[str, str]]


def _valid_after(client: TestClient, username: str) -> datetime | None:
    with client.app.state.runtime.sessions() as session:  # type: ignore[attr-defined]
        at: datetime | None = session.scalar(
            select(User.tokens_valid_after).where(User.username == username)
        )
    return at


def _listed(client: TestClient) -> dict[str, int]:
    resp = client.get("/.well-known/revocations")  # no token: verifiers hold none
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "no-store"
    body = resp.json()
    assert body["generated_at"].endswith("Z")
    return {r["sub"]: r["not_before"] for r in body["revocations"]}


def _iat(token: str) -> int:
    return int(jwt.decode(token, options={"verify_signature": False})["iat"])


@pytest.mark.parametrize(
    ("change", "method"),
    [
        ({"disabled": True}, "patch"),
        ({"roles": ["supervisor"]}, "patch"),
        ({"agent_id": "a-99"}, "patch"),
        ({"password": "a-brand-new-passphrase"}, "patch"),
        (None, "delete"),
    ],
)
def test_each_revoking_change_sets_tokens_valid_after_and_is_listed(
    client: TestClient,
    admin_headers: dict[str, str],
    make_user: MakeUser,
    change: dict[str, Any] | None,
    method: str,
) -> None:
    username, _ = make_user(roles=("agent",))
    assert _valid_after(client, username) is None
    assert username not in _listed(client)
    before = time.time()
    if method == "patch":
        resp = client.patch(f"/users/{username}", json=change, headers=admin_headers)
        assert resp.status_code == 200, resp.text
    else:
        assert client.delete(f"/users/{username}", headers=admin_headers).status_code == 204
    at = _valid_after(client, username)
    assert at is not None and before - 1 <= at.timestamp() <= time.time() + 1
    assert _listed(client)[username] == math.floor(at.timestamp())


def test_changes_that_revoke_nothing_leave_it_alone(
    client: TestClient, admin_headers: dict[str, str], make_user: MakeUser
) -> None:
    username, _ = make_user(roles=("agent", "supervisor"))
    same = {"roles": ["supervisor", "agent"], "disabled": False}
    resp = client.patch(f"/users/{username}", json=same, headers=admin_headers)
    assert resp.status_code == 200, resp.text
    assert _valid_after(client, username) is None
    assert username not in _listed(client)


def test_list_holds_only_revocations_younger_than_the_token_ttl(
    client: TestClient, make_user: MakeUser
) -> None:
    old, _ = make_user()
    recent, _ = make_user()
    ttl = client.app.state.runtime.settings.access_token_ttl_seconds  # type: ignore[attr-defined]
    with transaction(client.app.state.runtime.sessions) as session:  # type: ignore[attr-defined]
        users = {u.username: u for u in session.scalars(select(User))}
        users[old].tokens_valid_after = utcnow() - timedelta(seconds=ttl + 3600)
        users[recent].tokens_valid_after = utcnow() - timedelta(seconds=ttl - 60)
    listed = _listed(client)
    assert recent in listed and old not in listed


def test_tokens_issued_after_a_revocation_outrank_it(
    client: TestClient, admin_headers: dict[str, str], make_user: MakeUser, login: Login
) -> None:
    """Disable then re-enable within one second: the next login still gets a usable token
    (iat > not_before), and a refresh after a demotion too."""
    username, password = make_user(roles=("supervisor",))
    pair = login(client, username, password)
    assert client.patch(
        f"/users/{username}", json={"roles": ["agent"]}, headers=admin_headers
    ).is_success
    not_before = _listed(client)[username]
    assert _iat(pair["access_token"]) <= not_before  # the old token is revoked
    refreshed = client.post("/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    new_access = refreshed.json()["access_token"]
    assert _iat(new_access) > not_before
    assert jwt.decode(new_access, options={"verify_signature": False})["roles"] == ["agent"]

    for disabled in (True, False):
        resp = client.patch(
            f"/users/{username}", json={"disabled": disabled}, headers=admin_headers
        )
        assert resp.status_code == 200, resp.text
    not_before = _listed(client)[username]
    token = login(client, username, password)["access_token"]
    assert not_before >= math.floor(time.time()) - 5
    assert _iat(token) > not_before
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == pair["expires_in"]


def test_issuer_moves_iat_past_a_revocation_in_the_same_second(client: TestClient) -> None:
    issuer = client.app.state.runtime.issuer  # type: ignore[attr-defined]
    revoked_at = utcnow()
    user = User(username="u", roles=["agent"], agent_id=None, tokens_valid_after=revoked_at)
    claims = jwt.decode(issuer.access_token(user, None), options={"verify_signature": False})
    assert claims["iat"] == math.floor(revoked_at.timestamp()) + 1
    assert claims["nbf"] <= claims["iat"] and claims["exp"] == claims["iat"] + issuer.access_ttl
    user.tokens_valid_after = None
    claims = jwt.decode(issuer.access_token(user, None), options={"verify_signature": False})
    assert claims["iat"] == claims["nbf"]


def _sessions(client: TestClient) -> set[str]:
    return {s["sid"] for s in client.get("/.well-known/revocations").json()["sessions"]}


def _sid(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sid"])


def test_logout_lists_the_session_and_only_it(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    username, password = make_user()
    ended, kept = login(client, username, password), login(client, username, password)
    assert _sid(ended["access_token"]) != _sid(kept["access_token"])
    assert client.post("/logout", json={"refresh_token": ended["refresh_token"]}).status_code == 204
    listed = _sessions(client)
    assert _sid(ended["access_token"]) in listed
    assert _sid(kept["access_token"]) not in listed
    assert username not in _listed(client)  # the user's other sessions live on
    # A second logout of the same session changes nothing.
    assert client.post("/logout", json={"refresh_token": ended["refresh_token"]}).status_code == 204
    assert _sessions(client) == listed


def test_refresh_keeps_the_session_and_reuse_ends_it(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    username, password = make_user()
    first = login(client, username, password)
    rotated = client.post("/refresh", json={"refresh_token": first["refresh_token"]}).json()
    assert _sid(rotated["access_token"]) == _sid(first["access_token"])
    assert _sid(first["access_token"]) not in _sessions(client)
    reused = client.post("/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert _sid(first["access_token"]) in _sessions(client)
