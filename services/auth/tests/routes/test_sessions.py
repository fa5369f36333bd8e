"""/login, /refresh, /logout and the JWKS, through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from services.auth.tests.conftest import ADMIN_PASSWORD
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from opticall_auth.config import Settings
from opticall_auth.models import RefreshToken
from opticall_common.problems import Problem
from opticall_common.security import TokenVerifier

Login = Callable[[TestClient, str, str], dict[str, Any]]
MakeUser = Callable[..., tuple[str, str]]


def _verifier(client: TestClient) -> TokenVerifier:
    v = TokenVerifier("http://unused.invalid/jwks", "opticall-auth", "opticall")
    v.set_keys(client.get("/.well-known/jwks.json").json())
    return v


async def test_login_issues_tokens_that_the_common_verifier_accepts(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    username, password = make_user(roles=("agent",), agent_id="a-1001")
    body = login(client, username, password)
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token"]

    principal = await _verifier(client).verify(body["access_token"])
    assert principal.username == username
    assert principal.roles == frozenset({"agent"})
    assert principal.agent_id == "a-1001"

    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "EdDSA"
    assert header["kid"] in {k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]}
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert set(claims) == {
        "iss", "aud", "sub", "exp", "nbf", "iat", "jti", "typ", "roles", "agent_id", "sid"
    }  # fmt: skip
    assert principal.session_id == claims["sid"]  # the login's session (refresh family)
    assert (claims["iss"], claims["aud"], claims["typ"]) == ("opticall-auth", "opticall", "access")
    assert claims["exp"] - claims["iat"] == 900
    assert claims["nbf"] == claims["iat"]


def test_each_token_has_its_own_jti(client: TestClient, login: Login) -> None:
    first = login(client, "admin", ADMIN_PASSWORD)["access_token"]
    second = login(client, "admin", ADMIN_PASSWORD)["access_token"]
    jtis = {jwt.decode(t, options={"verify_signature": False})["jti"] for t in (first, second)}
    assert len(jtis) == 2


def test_access_token_ttl_follows_the_setting(
    make_settings: Callable[..., Settings], login: Login
) -> None:
    from opticall_auth.main import create_app

    with TestClient(create_app(make_settings(access_token_ttl_seconds=60))) as c:
        body = login(c, "admin", ADMIN_PASSWORD)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert body["expires_in"] == 60 and claims["exp"] - claims["iat"] == 60


@pytest.mark.parametrize("username", ["admin", "nobody-here"])
def test_bad_credentials_are_one_indistinct_401_problem(client: TestClient, username: str) -> None:
    resp = client.post("/login", json={"username": username, "password": "wrong-password"})
    assert resp.status_code == 401
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["detail"] == "invalid username or password"


def test_disabled_user_cannot_log_in(
    client: TestClient, make_user: MakeUser, admin_headers: dict[str, str]
) -> None:
    username, password = make_user()
    assert client.delete(f"/users/{username}", headers=admin_headers).status_code == 204
    resp = client.post("/login", json={"username": username, "password": password})
    assert resp.status_code == 401
    assert resp.json()["detail"] == "invalid username or password"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "admin"}, "body.password"),
        ({"password": "x"}, "body.username"),
        ({"username": "admin", "password": 5}, "body.password"),
        ({"username": "", "password": "x"}, "body.username"),
    ],
)
def test_malformed_login_is_a_422_problem_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    resp = client.post("/login", json=body)
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in resp.json()["errors"]]


def test_non_json_login_is_a_422_problem(client: TestClient) -> None:
    resp = client.post("/login", content=b"{not json", headers={"content-type": "application/json"})
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"


def test_refresh_rotates_and_reuse_revokes_the_family(client: TestClient, login: Login) -> None:
    first = login(client, "admin", ADMIN_PASSWORD)
    resp = client.post("/refresh", json={"refresh_token": first["refresh_token"]})
    assert resp.status_code == 200
    second = resp.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]

    # The rotated token again: someone replays it, so the whole session dies...
    reuse = client.post("/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    assert reuse.headers["content-type"] == "application/problem+json"
    assert "reused" in reuse.json()["detail"]
    # ...including the legitimate newest token.
    assert (
        client.post("/refresh", json={"refresh_token": second["refresh_token"]}).status_code == 401
    )
    # Another login session is untouched.
    other = login(client, "admin", ADMIN_PASSWORD)
    assert (
        client.post("/refresh", json={"refresh_token": other["refresh_token"]}).status_code == 200
    )


def test_a_chain_of_refreshes_works(client: TestClient, login: Login) -> None:
    token = login(client, "admin", ADMIN_PASSWORD)["refresh_token"]
    for _ in range(3):
        resp = client.post("/refresh", json={"refresh_token": token})
        assert resp.status_code == 200
        token = resp.json()["refresh_token"]


def test_unknown_refresh_token_is_401(client: TestClient) -> None:
    resp = client.post("/refresh", json={"refresh_token": "made-up"})
    assert resp.status_code == 401
    assert resp.headers["content-type"] == "application/problem+json"


def test_expired_refresh_token_is_401(
    make_settings: Callable[..., Settings], login: Login, db_url: str
) -> None:
    from datetime import timedelta

    from opticall_auth.main import create_app

    with TestClient(create_app(make_settings())) as c:
        token = login(c, "admin", ADMIN_PASSWORD)["refresh_token"]
        engine = create_engine(db_url)
        with Session(engine) as s, s.begin():
            row = s.scalars(select(RefreshToken)).one()
            row.expires_at = row.issued_at - timedelta(seconds=1)
        engine.dispose()
        resp = c.post("/refresh", json={"refresh_token": token})
    assert resp.status_code == 401
    assert "expired" in resp.json()["detail"]


def test_refresh_tokens_are_stored_hashed(client: TestClient, login: Login, db_url: str) -> None:
    token = login(client, "admin", ADMIN_PASSWORD)["refresh_token"]
    engine = create_engine(db_url)
    with Session(engine) as s:
        rows = s.scalars(select(RefreshToken)).all()
    engine.dispose()
    assert [r.token_hash for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert all(token not in (r.id, r.family_id, r.token_hash) for r in rows)


async def test_refresh_carries_role_changes(
    client: TestClient, make_user: MakeUser, admin_headers: dict[str, str], login: Login
) -> None:
    username, password = make_user(roles=("agent",))
    refresh = login(client, username, password)["refresh_token"]
    patch = client.patch(
        f"/users/{username}", json={"roles": ["supervisor"]}, headers=admin_headers
    )
    assert patch.status_code == 200
    resp = client.post("/refresh", json={"refresh_token": refresh})
    principal = await _verifier(client).verify(resp.json()["access_token"])
    assert principal.roles == frozenset({"supervisor"})


def test_logout_revokes_the_session(client: TestClient, login: Login) -> None:
    first = login(client, "admin", ADMIN_PASSWORD)
    rotated = client.post("/refresh", json={"refresh_token": first["refresh_token"]}).json()
    # Logging out with an older token of the session still ends all of it.
    resp = client.post("/logout", json={"refresh_token": first["refresh_token"]})
    assert resp.status_code == 204
    assert (
        client.post("/refresh", json={"refresh_token": rotated["refresh_token"]}).status_code == 401
    )


def test_logout_of_an_unknown_token_is_still_204(client: TestClient) -> None:
    assert client.post("/logout", json={"refresh_token": "made-up"}).status_code == 204
    assert client.post("/logout", json={}).status_code == 422


async def test_a_token_signed_by_another_key_is_refused(client: TestClient) -> None:
    from opticall_common.testing import TokenFactory

    forged = TokenFactory().token(sub="admin", roles=("admin",))
    resp = client.get("/users", headers={"Authorization": f"Bearer {forged}"})
    assert resp.status_code == 401
    with pytest.raises(Problem):
        await _verifier(client).verify(forged)


def test_metrics_count_outcomes_and_issued_tokens(client: TestClient, login: Login) -> None:
    def value(text: str, prefix: str) -> float:
        for line in text.splitlines():
            if line.startswith(prefix):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = client.get("/metrics").text
    login(client, "admin", ADMIN_PASSWORD)
    client.post("/login", json={"username": "admin", "password": "nope-nope"})
    after = client.get("/metrics").text
    success = 'opticall_auth_logins_total{outcome="success"}'
    bad = 'opticall_auth_logins_total{outcome="bad_credentials"}'
    issued = 'opticall_auth_tokens_issued_total{grant="password"}'
    assert value(after, success) == value(before, success) + 1
    assert value(after, bad) == value(before, bad) + 1
    assert value(after, issued) == value(before, issued) + 1
