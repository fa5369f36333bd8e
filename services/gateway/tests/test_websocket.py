"""The realtime WebSocket relay: auth at the edge, then frames both ways."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from services.gateway.tests.helpers import bearer
from starlette.websockets import WebSocketDisconnect

from opticall_common.testing import TokenFactory


def test_relays_both_ways_with_header_token(client: TestClient, factory: TokenFactory) -> None:
    token = factory.token(roles=("supervisor",))
    with client.websocket_connect("/realtime/ws?queue=sales", headers=bearer(token)) as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello"
        assert hello["authorization"] == f"Bearer {token}"
        assert hello["query"] == "queue=sales"
        assert hello["forwarded_for"] == "testclient"
        ws.send_text("ping")
        assert ws.receive_text() == "echo:ping"
        ws.send_text("bye")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 4000  # the upstream's close code is relayed


def test_query_token_is_accepted_and_forwarded(client: TestClient, factory: TokenFactory) -> None:
    token = factory.token(roles=("admin",))
    with client.websocket_connect(f"/realtime/ws?access_token={token}") as ws:
        hello = ws.receive_json()
    assert hello["authorization"] == f"Bearer {token}"
    assert f"access_token={token}" in hello["query"]


def _close_code(client: TestClient, url: str, **kw: Any) -> int:
    with client.websocket_connect(url, **kw) as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_text()
    return closed.value.code


def test_missing_or_bad_token_closes_4401(client: TestClient, factory: TokenFactory) -> None:
    assert _close_code(client, "/realtime/ws") == 4401
    assert _close_code(client, "/realtime/ws?access_token=nope") == 4401
    assert _close_code(client, "/realtime/ws", headers=bearer(factory.token(ttl=-60))) == 4401


@pytest.mark.parametrize("role", ["agent", "acd"])
def test_role_not_allowed_closes_4403(client: TestClient, factory: TokenFactory, role: str) -> None:
    token = factory.token(roles=(role,))
    assert _close_code(client, "/realtime/ws", headers=bearer(token)) == 4403


def test_realtime_down_closes_1013(make_client: Any, factory: TokenFactory) -> None:
    client = make_client(realtime_url="http://127.0.0.1:9")
    assert _close_code(client, "/realtime/ws", headers=bearer(factory.token())) == 1013


def test_unknown_websocket_path_is_refused(client: TestClient, factory: TokenFactory) -> None:
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/agents"):
        pass


def test_revoked_token_closes_an_open_socket_4401(make_client: Any, factory: TokenFactory) -> None:
    client = make_client(REVOCATION_POLL_SECONDS=0.1)
    token = factory.token(sub="fired", roles=("supervisor",))
    with client.websocket_connect("/realtime/ws", headers=bearer(token)) as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_text("ping")
        assert ws.receive_text() == "echo:ping"  # open, and staying open while allowed
        revocations = client.app.state.gateway.verifier.revocations  # type: ignore[attr-defined]
        revocations.replace({"fired": 2**31})  # as a poll would after auth disables the user
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 4401
    assert closed.value.reason == "token revoked"
