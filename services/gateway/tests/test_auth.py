"""Roles from the route table, and tokens that must never pass the gateway."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from services.gateway.tests.helpers import bearer, concrete_path

from opticall_common.testing import TokenFactory
from opticall_gateway.route_table import ROUTES, RouteSpec

ROLES = ("admin", "supervisor", "agent", "acd")
HTTP_ROUTES = [s for s in ROUTES if not s.websocket and s.service != "gateway"]


def _cases() -> list[tuple[RouteSpec, str, str]]:
    return [(s, m, r) for s in HTTP_ROUTES for m in sorted(s.methods) for r in ROLES]


@pytest.mark.parametrize(
    ("spec", "method", "role"), _cases(), ids=lambda v: getattr(v, "path", str(v))
)
def test_role_matrix(
    client: TestClient, factory: TokenFactory, spec: RouteSpec, method: str, role: str
) -> None:
    token = factory.token(sub=f"u-{role}", roles=(role,))
    resp = client.request(method, concrete_path(spec.path), headers=bearer(token))
    allowed = spec.roles is None or not spec.roles or role in spec.roles
    if allowed:
        assert resp.headers.get("x-upstream") == "echo", resp.text
        if resp.headers["content-type"] == "application/json" and "headers" in resp.json():
            assert resp.json()["headers"]["authorization"] == f"Bearer {token}"
    else:
        assert resp.status_code == 403, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
        assert "x-upstream" not in resp.headers


@pytest.mark.parametrize("spec", [s for s in HTTP_ROUTES if s.roles is not None], ids=str)
def test_protected_routes_need_a_token(client: TestClient, spec: RouteSpec) -> None:
    method = sorted(spec.methods)[0]
    resp = client.request(method, concrete_path(spec.path))
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].startswith("Bearer")
    assert resp.json()["status"] == 401


def test_public_routes_pass_without_a_token(client: TestClient) -> None:
    resp = client.post("/login", json={"username": "x", "password": "y"})
    assert resp.headers.get("x-upstream") == "echo"
    assert resp.json()["body"] == '{"username":"x","password":"y"}'


def test_protected_answers_who_the_token_is(client: TestClient, factory: TokenFactory) -> None:
    resp = client.get("/protected", headers=bearer(factory.token("ann", ("supervisor", "agent"))))
    assert resp.status_code == 200
    assert resp.json() == {"username": "ann", "roles": ["agent", "supervisor"]}
    assert client.get("/protected").status_code == 401


def test_non_bearer_scheme_is_401(client: TestClient, factory: TokenFactory) -> None:
    resp = client.get("/protected", headers={"Authorization": f"Basic {factory.token()}"})
    assert resp.status_code == 401


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(factory: TokenFactory, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": factory.issuer,
        "aud": factory.audience,
        "sub": "mallory",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "typ": "access",
        "roles": ["admin"],
        **extra,
    }


def _attacks(factory: TokenFactory) -> dict[str, str]:
    good = factory.token("mallory", ("agent",))
    head, _, sig = good.split(".")
    public_raw = factory.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    other = TokenFactory()
    return {
        "alg_none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': factory.kid})}."
        f"{_b64(_claims(factory))}.",
        "hs256_with_public_key": jwt.encode(
            _claims(factory), public_raw, algorithm="HS256", headers={"kid": factory.kid}
        ),
        "tampered_payload": f"{head}.{_b64(_claims(factory))}.{sig}",
        "expired": factory.token(ttl=-60),
        "not_yet_valid": factory.token(nbf=int(time.time()) + 600),
        "wrong_issuer": factory.token(iss="someone-else"),
        "wrong_audience": factory.token(aud="another-app"),
        "unknown_kid": other.token(),
        "foreign_key_with_our_kid": jwt.encode(
            _claims(factory), other.key, algorithm="EdDSA", headers={"kid": factory.kid}
        ),
        "refresh_token_as_access": factory.token(typ="refresh"),
        "garbage": "not.a.jwt",
    }


ATTACKS = list(_attacks(TokenFactory()))


@pytest.mark.parametrize("attack", ATTACKS)
def test_token_attacks_are_refused(client: TestClient, factory: TokenFactory, attack: str) -> None:
    token = _attacks(factory)[attack]
    for path in ("/protected", "/users"):
        resp = client.get(path, headers=bearer(token))
        assert resp.status_code == 401, (attack, path, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
        assert "www-authenticate" in resp.headers
        assert "x-upstream" not in resp.headers


def test_a_key_rotated_in_is_picked_up_on_unknown_kid(
    client: TestClient, factory: TokenFactory
) -> None:
    # The first token loads the JWKS; a token with a kid the cache lacks forces one refetch.
    assert client.get("/protected", headers=bearer(factory.token())).status_code == 200
    verifier = client.app.state.runtime.verifier  # type: ignore[attr-defined]
    verifier._keys.clear()
    verifier._fetched_at = 0.0
    assert client.get("/protected", headers=bearer(factory.token("x"))).status_code == 200


def test_jwks_unreachable_is_503_not_401(make_client: Any, factory: TokenFactory) -> None:
    client = make_client(jwks_url="http://127.0.0.1:9/jwks.json")
    resp = client.get("/protected", headers=bearer(factory.token()))
    assert resp.status_code == 503
    assert resp.headers["content-type"] == "application/problem+json"
