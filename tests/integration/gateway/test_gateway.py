"""The gateway in front of the real suite: roles from its route table, real tokens and
attacks on them, forwarding, the WebSocket relay, and the merged API document."""

from __future__ import annotations

import base64
import json
import random
import re
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from opticall_common.testing import TokenFactory
from opticall_gateway.route_table import ROUTES, RouteSpec
from tests.integration.suite import Suite

ROLES = ("admin", "supervisor", "agent", "acd")
PARAMS = {
    "{username}": "nobody-here",
    "{agent_id}": "gw-no-such-agent",
    "{shift_id}": "999999999",
    "{schedule_id}": "999999999",
    "{forecast_id}": "999999999",
    "{vendor}": "genesys",
}
PROXIED = [s for s in ROUTES if s.service != "gateway" and not s.websocket]
PROTECTED = [s for s in PROXIED if s.roles is not None]


def concrete(path: str) -> str:
    for name, value in PARAMS.items():
        path = path.replace(name, value)
    return path


@pytest.fixture(scope="module")
def tokens(suite: Suite) -> dict[str, str]:
    return {role: suite.user_token(role) for role in ROLES}


def _call(suite: Suite, spec: RouteSpec, method: str, token: str | None) -> httpx.Response:
    with suite.client(token) as c:
        return c.request(method, concrete(spec.path))


@pytest.mark.parametrize("spec", PROTECTED, ids=lambda s: s.path)
def test_every_protected_route_needs_a_token(suite: Suite, spec: RouteSpec) -> None:
    for method in sorted(spec.methods):
        resp = _call(suite, spec, method, None)
        assert resp.status_code == 401, (method, spec.path, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("spec", [s for s in PROTECTED if s.roles], ids=lambda s: s.path)
def test_roles_outside_the_table_get_403_and_inside_pass_the_gateway(
    suite: Suite, tokens: dict[str, str], spec: RouteSpec
) -> None:
    assert spec.roles is not None
    for method in sorted(spec.methods):
        for role in ROLES:
            resp = _call(suite, spec, method, tokens[role])
            if role in spec.roles:
                # The service verified the same token again: never a 401 behind the gateway.
                assert resp.status_code != 401, (method, spec.path, role, resp.text)
                assert resp.status_code < 500, (method, spec.path, role, resp.text)
            else:
                assert resp.status_code == 403, (method, spec.path, role, resp.text)
                assert resp.json()["detail"] == "your role may not use this endpoint"


def test_protected_with_a_real_login(suite: Suite) -> None:
    token = suite.admin_token()
    with suite.client(token) as c:
        resp = c.get("/protected")
    assert resp.status_code == 200
    assert resp.json()["username"] == "admin"
    assert "admin" in resp.json()["roles"]


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_token_attacks_through_the_real_gateway(suite: Suite, tokens: dict[str, str]) -> None:
    with suite.client() as c:
        jwk = c.get("/.well-known/jwks.json").json()["keys"][0]
        login = c.post("/login", json={"username": "admin", "password": suite.admin_password})
    refresh = login.json()["refresh_token"]
    public_raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    agent = tokens["agent"]
    head, payload, sig = agent.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    escalated = {**claims, "roles": ["admin"]}
    now = int(time.time())
    attacks = {
        "alg_none": f"{_b64({'alg': 'none', 'kid': jwk['kid']})}.{_b64(escalated)}.",
        "hs256_with_public_key": jwt.encode(
            escalated, public_raw, algorithm="HS256", headers={"kid": jwk["kid"]}
        ),
        "tampered_payload": f"{head}.{_b64(escalated)}.{sig}",
        "foreign_key_our_kid": jwt.encode(
            {**escalated, "exp": now + 600},
            TokenFactory().key,
            algorithm="EdDSA",
            headers={"kid": jwk["kid"]},
        ),
        "unknown_kid": TokenFactory().token(roles=("admin",)),
        "refresh_token_as_access": refresh,
    }
    for name, token in attacks.items():
        with suite.client(token) as c:
            for path in ("/protected", "/users"):
                resp = c.get(path)
                assert resp.status_code == 401, (name, path, resp.text)
                assert "www-authenticate" in resp.headers, name


def test_proxied_get_reaches_the_service(suite: Suite, tokens: dict[str, str]) -> None:
    token = tokens["supervisor"]
    with suite.client(token) as c:
        via_gateway = c.get("/agents", headers={"X-Request-ID": "it-trace-1"})
    direct = httpx.get(
        suite.stack.url("scheduling") + "/agents",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert via_gateway.status_code == 200 == direct.status_code
    assert via_gateway.headers["x-request-id"] == "it-trace-1"
    assert via_gateway.headers["x-content-type-options"] == "nosniff"
    assert type(via_gateway.json()) is type(direct.json())
    with suite.client() as c:
        jwks = c.get("/.well-known/jwks.json").json()
    assert jwks == httpx.get(suite.stack.url("auth") + "/.well-known/jwks.json").json()


def test_head_through_the_gateway_is_get_without_a_body(
    suite: Suite, tokens: dict[str, str]
) -> None:
    with suite.client(tokens["supervisor"]) as c:
        get = c.get("/agents")
        head = c.head("/agents")
        assert c.get("/agents").status_code == 200  # the pool's connection is still good
    assert head.status_code == 200 == get.status_code
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]


def test_client_cannot_dodge_login_throttling_with_x_forwarded_for(suite: Suite) -> None:
    # A loopback address of this test's own, so no other test's logins are throttled.
    source = f"127.0.{random.randint(1, 250)}.{random.randint(2, 250)}"
    username = f"gw-ghost-{uuid.uuid4().hex[:8]}"
    statuses = []
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=suite.gateway, transport=transport, timeout=30) as c:
        for i in range(8):
            resp = c.post(
                "/login",
                json={"username": username, "password": "wrong"},
                headers={"X-Forwarded-For": f"10.9.{i}.{i}"},
            )
            statuses.append(resp.status_code)
    # The spoofed addresses were replaced by the real peer: one client, so it is throttled.
    assert statuses[0] == 401
    assert 429 in statuses, statuses


def _ws_url(suite: Suite, query: str = "") -> str:
    return suite.gateway.replace("http", "ws", 1) + "/realtime/ws" + query


def _close_code(url: str, headers: dict[str, str] | None = None) -> int:
    with (
        connect(url, additional_headers=headers or {}, open_timeout=15) as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        ws.recv(timeout=15)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def test_websocket_relay_refuses_missing_bad_and_wrong_role_tokens(
    suite: Suite, tokens: dict[str, str]
) -> None:
    assert _close_code(_ws_url(suite)) == 4401
    assert _close_code(_ws_url(suite, "?access_token=garbage")) == 4401
    bearer = {"Authorization": f"Bearer {tokens['agent']}"}
    assert _close_code(_ws_url(suite), bearer) == 4403
    assert _close_code(_ws_url(suite, f"?access_token={tokens['acd']}")) == 4403


def test_websocket_relay_delivers_the_realtime_snapshot(
    suite: Suite, tokens: dict[str, str]
) -> None:
    with connect(_ws_url(suite, f"?access_token={tokens['supervisor']}"), open_timeout=15) as ws:
        first = json.loads(ws.recv(timeout=15))
    assert first["type"] == "snapshot"
    assert isinstance(first["agents"], list)


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_openapi_documents_every_public_route(suite: Suite) -> None:
    with suite.client() as c:
        doc = c.get("/openapi.json").json()
    listed = {(_shape(p), m.upper()) for p, item in doc["paths"].items() for m in item}
    for spec in ROUTES:
        for method in spec.methods:
            # The dashboard's HTML pages and assets are served but are not API.
            assert ((_shape(spec.path), method) in listed) == spec.in_schema, (method, spec.path)
    # Merged from the real services: scheduling's own request schema is in the document.
    assert "requestBody" in doc["paths"]["/agents"]["post"]
    assert "x-opticall-roles" in doc["paths"]["/agents"]["post"]


def test_readyz_checks_auth_and_every_upstream(suite: Suite) -> None:
    resp = httpx.get(suite.gateway + "/readyz", timeout=30)
    assert resp.status_code == 200
    checks = resp.json()["checks"]
    assert set(checks) == {"jwks", "auth", "scheduling", "forecasting", "realtime"}
    assert all(v == "ok" for v in checks.values()), checks
