"""WebSocket tickets: issued for a valid token, redeemed once for a token of the session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
from fastapi.testclient import TestClient

Login = Callable[[TestClient, str, str], dict[str, Any]]
MakeUser = Callable[..., tuple[str, str]]


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _ticket(client: TestClient, access_token: str) -> Any:
    return client.post("/realtime/ws-ticket", headers={"Authorization": f"Bearer {access_token}"})


def _redeem(client: TestClient, ticket: str) -> Any:
    return client.post("/internal/ws-tickets/redeem", json={"ticket": ticket})


def test_a_ticket_is_redeemed_once_for_a_token_of_the_same_session(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    username, password = make_user(roles=("supervisor",))
    pair = login(client, username, password)
    resp = _ticket(client, pair["access_token"])
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["expires_in"] == 30 and len(body["ticket"]) >= 40
    redeemed = _redeem(client, body["ticket"])
    assert redeemed.status_code == 200, redeemed.text
    original, token = _claims(pair["access_token"]), _claims(redeemed.json()["access_token"])
    assert token["sub"] == username and token["sid"] == original["sid"]
    assert token["roles"] == ["supervisor"]
    assert token["exp"] <= original["exp"]  # never outlives the token it was asked with
    again = _redeem(client, body["ticket"])
    assert again.status_code == 401
    assert again.headers["content-type"] == "application/problem+json"


def test_no_ticket_without_a_token_and_none_for_an_unknown_one(client: TestClient) -> None:
    assert client.post("/realtime/ws-ticket").status_code == 401
    assert _redeem(client, "made-up").status_code == 401


def test_a_ticket_dies_with_its_session_or_user(
    client: TestClient, make_user: MakeUser, login: Login, admin_headers: dict[str, str]
) -> None:
    username, password = make_user(roles=("supervisor",))
    pair = login(client, username, password)
    ticket = _ticket(client, pair["access_token"]).json()["ticket"]
    client.post("/logout", json={"refresh_token": pair["refresh_token"]})
    assert _redeem(client, ticket).status_code == 401
    # Nor can the logged-out session's access token ask for a new one.
    assert _ticket(client, pair["access_token"]).status_code == 401

    pair = login(client, username, password)
    ticket = _ticket(client, pair["access_token"]).json()["ticket"]
    client.patch(f"/users/{username}", json={"disabled": True}, headers=admin_headers)
    assert _redeem(client, ticket).status_code == 401
