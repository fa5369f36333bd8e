"""The realtime WebSocket relay: auth at the edge, then frames both ways."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from services.gateway.tests.helpers import TICKETS, bearer
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


def test_deprecated_query_token_works_but_stays_out_of_the_upstream_url(
    client: TestClient, factory: TokenFactory
) -> None:
    token = factory.token(roles=("admin",))
    with client.websocket_connect(f"/realtime/ws?access_token={token}&queue=q1") as ws:
        hello = ws.receive_json()
    assert hello["authorization"] == f"Bearer {token}"
    assert hello["query"] == "queue=q1"


def test_query_token_can_be_turned_off(make_client: Any, factory: TokenFactory) -> None:
    client = make_client(ws_allow_query_token=False)
    token = factory.token(roles=("admin",))
    assert _close_code(client, f"/realtime/ws?access_token={token}") == 4401
    with client.websocket_connect("/realtime/ws", headers=bearer(token)) as ws:
        assert ws.receive_json()["type"] == "hello"  # the header still works


def test_a_ticket_opens_the_socket_once(client: TestClient, factory: TokenFactory) -> None:
    token = factory.token(roles=("supervisor",))
    TICKETS["t-1"] = token
    with client.websocket_connect("/realtime/ws?ticket=t-1&queue=q") as ws:
        hello = ws.receive_json()
    # The realtime service gets the token the ticket stood for, and no ticket in its URL.
    assert hello["authorization"] == f"Bearer {token}"
    assert hello["query"] == "queue=q"
    assert _close_code(client, "/realtime/ws?ticket=t-1") == 4401  # used up
    assert _close_code(client, "/realtime/ws?ticket=never-issued") == 4401


def test_a_ticket_for_a_role_without_the_stream_is_4403(
    client: TestClient, factory: TokenFactory
) -> None:
    TICKETS["t-agent"] = factory.token(roles=("agent",))
    assert _close_code(client, "/realtime/ws?ticket=t-agent") == 4403


def test_foreign_browser_origins_are_refused_before_anything(
    make_client: Any, factory: TokenFactory
) -> None:
    client = make_client(ws_origins="https://wall.example")
    auth = bearer(factory.token(roles=("supervisor",)))
    for origin in ("https://evil.example", "http://testserver.evil.example"):
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect("/realtime/ws", headers={**auth, "Origin": origin}),
        ):
            pass
        assert refused.value.code == 1008, origin
    for origin in ("https://wall.example", "http://testserver", "https://testserver"):
        headers = {**auth, "Origin": origin}
        with client.websocket_connect("/realtime/ws", headers=headers) as ws:
            assert ws.receive_json()["type"] == "hello", origin


def test_websockets_per_user_are_capped_and_released(
    make_client: Any, factory: TokenFactory
) -> None:
    client = make_client(ws_max_per_user=2)
    auth = bearer(factory.token(sub="busy", roles=("supervisor",)))
    other = bearer(factory.token(sub="calm", roles=("supervisor",)))
    counter = client.app.state.runtime.sockets  # type: ignore[attr-defined]
    with (
        client.websocket_connect("/realtime/ws", headers=auth) as one,
        client.websocket_connect("/realtime/ws", headers=auth) as two,
    ):
        assert one.receive_json()["type"] == two.receive_json()["type"] == "hello"
        assert counter.held("busy") == 2
        assert _close_code(client, "/realtime/ws", headers=auth) == 4429
        with client.websocket_connect("/realtime/ws", headers=other) as three:
            assert three.receive_json()["type"] == "hello"  # the cap is per user
        one.send_text("bye")
        two.send_text("bye")
    # Closed sockets give their places back, and leave no entry behind.
    assert counter.held("busy") == 0 and counter.total == 0
    with client.websocket_connect("/realtime/ws", headers=auth) as again:
        assert again.receive_json()["type"] == "hello"


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
        revocations = client.app.state.runtime.verifier.revocations  # type: ignore[attr-defined]
        revocations.replace({"fired": 2**31})  # as a poll would after auth disables the user
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 4401
    assert closed.value.reason == "token revoked"


def test_logged_out_session_closes_an_open_socket_4401(
    make_client: Any, factory: TokenFactory
) -> None:
    client = make_client(REVOCATION_POLL_SECONDS=0.1)
    token = factory.token(sub="leaver", roles=("supervisor",), sid="session-1")
    with client.websocket_connect("/realtime/ws", headers=bearer(token)) as ws:
        assert ws.receive_json()["type"] == "hello"
        revocations = client.app.state.runtime.verifier.revocations  # type: ignore[attr-defined]
        revocations.replace({}, ["session-1"])  # as a poll would after the user logs out
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 4401
    assert closed.value.reason == "token revoked"
