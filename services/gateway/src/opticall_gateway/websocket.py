"""``WS /realtime/ws``: authenticate at the edge, then relay frames to the realtime service.

Credentials, in the order they are looked for:
- ``Authorization: Bearer <access token>``: non-browser clients;
- ``?ticket=``: browsers, which cannot set headers on a WebSocket. The dashboard asks
  ``POST /realtime/ws-ticket`` for a ticket (auth keeps it 30 s, for one use) and connects
  with it; auth redeems it for the gateway, so the long-lived token never sits in a URL,
  a proxy's access log or the browser's history;
- ``?access_token=``: deprecated for that reason, kept (``GATEWAY_WS_ALLOW_QUERY_TOKEN``)
  because the published contract names it.
Whatever the client sent, the realtime service gets the token in ``Authorization`` and a
query string without credentials.

A browser's ``Origin`` must be the gateway's own host or one of ``GATEWAY_WS_ORIGINS``, else
the handshake is refused (403) before anything else: another site's page must not ride a
user's ticket or cookie into the stream (cross-site WebSocket hijacking).

Auth failures are reported AFTER accepting, by closing with 4401 (no or invalid token) or
4403 (role not allowed), plus a reason: a browser's WebSocket API cannot see the HTTP status
of a refused handshake, only close codes. A user already holding ``GATEWAY_WS_MAX_PER_USER``
sockets in this process gets 4429. If the realtime service cannot be reached the socket is
accepted and closed with 1013 (try again later). Unknown WebSocket paths are refused before
accepting (the server answers the handshake with 403). An open socket is closed with 4401
when its token expires or auth revokes it (the user was disabled, their roles changed, or
the session was logged out).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from starlette.types import Receive, Scope, Send
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from opticall_common.problems import Problem
from opticall_common.security import Principal
from opticall_gateway.runtime import Runtime

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_MANY = 4429
CLOSE_TRY_AGAIN = 1013
# What the realtime service is told of the client's handshake (the token goes separately).
_FORWARDED = frozenset({b"cookie", b"user-agent", b"accept-language"})
# Credentials in the query string: never passed on (they would land in upstream logs).
_CREDENTIALS = frozenset({"access_token", "ticket"})
REDEEM_PATH = "/internal/ws-tickets/redeem"


class Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason[:120]  # a close frame's reason is at most 123 bytes


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def origin_allowed(scope: Scope, allowed: list[str]) -> bool:
    """No Origin (not a browser), the gateway's own host, or an allowed origin."""
    origin = _header(scope, b"origin")
    if origin is None or "*" in allowed or origin in allowed:
        return True
    host = _header(scope, b"host")
    # Same host and port as the request: the gateway's own dashboard (any scheme: behind a
    # TLS-terminating ingress the gateway itself sees plain ws).
    return host is not None and urlsplit(origin).netloc.lower() == host.lower()


async def _token_from_ticket(rt: Runtime, ticket: str) -> str:
    """The access token auth gives for a ticket (once: auth deletes it as it answers)."""
    try:
        resp = await rt.http.post(rt.upstreams["auth"] + REDEEM_PATH, json={"ticket": ticket})
    except httpx.HTTPError as exc:
        log.warning("auth unavailable to redeem a WebSocket ticket: %r", exc)
        raise Refused(CLOSE_TRY_AGAIN, "auth unavailable; try again shortly") from exc
    if resp.status_code != 200:
        raise Refused(CLOSE_UNAUTHORIZED, "invalid, used or expired ticket")
    return str(resp.json()["access_token"])


async def credentials(rt: Runtime, scope: Scope) -> str:
    """The access token the client presented, however it presented it (module docstring)."""
    authorization = _header(scope, b"authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused(CLOSE_UNAUTHORIZED, "missing bearer token")
        return token.strip()
    raw: bytes = scope.get("query_string", b"")
    query = dict(parse_qsl(raw.decode("latin-1")))
    if query.get("ticket"):
        return await _token_from_ticket(rt, query["ticket"])
    if query.get("access_token"):
        if not rt.settings.ws_allow_query_token:
            raise Refused(CLOSE_UNAUTHORIZED, "?access_token= is refused: use a ticket")
        return query["access_token"]
    raise Refused(CLOSE_UNAUTHORIZED, "missing bearer token")


async def _authenticate(rt: Runtime, scope: Scope, roles: frozenset[str] | None) -> Principal:
    token = await credentials(rt, scope)
    try:
        principal = await rt.verifier.verify(token)
    except Problem as exc:
        code = CLOSE_UNAUTHORIZED if exc.status == 401 else CLOSE_TRY_AGAIN
        raise Refused(code, exc.detail) from exc
    if roles and principal.roles.isdisjoint(roles):
        raise Refused(CLOSE_FORBIDDEN, "your role may not use this endpoint")
    return principal


async def _refuse(send: Send, code: int, reason: str) -> None:
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": code, "reason": reason})


def _upstream_url(rt: Runtime, service: str, scope: Scope) -> str:
    base = rt.upstreams[service].replace("http", "ws", 1)
    raw: bytes = scope.get("query_string", b"")
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    query = urlencode([(k, v) for k, v in pairs if k not in _CREDENTIALS])
    path: str = scope["path"]
    return base + path + (f"?{query}" if query else "")


async def relay(rt: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    match = rt.table.match("GET", scope["path"], websocket=True)
    spec = match.spec
    if spec is None or not origin_allowed(scope, rt.settings.ws_origin_list):
        await send({"type": "websocket.close", "code": 1008})
        return
    try:
        principal = await _authenticate(rt, scope, spec.roles)
    except Refused as exc:
        await _refuse(send, exc.code, exc.reason)
        return
    user = principal.username
    if not rt.sockets.try_open(user, rt.settings.ws_max_per_user):
        limit = rt.settings.ws_max_per_user
        await _refuse(send, CLOSE_TOO_MANY, f"you already hold {limit} open WebSockets")
        return
    try:
        await _connect_and_pump(rt, spec.service, scope, receive, send, principal)
    finally:
        rt.sockets.close(user)


async def _connect_and_pump(
    rt: Runtime, service: str, scope: Scope, receive: Receive, send: Send, principal: Principal
) -> None:
    url = _upstream_url(rt, service, scope)
    headers: list[tuple[str, str]] = [
        (k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"] if k in _FORWARDED
    ]
    headers.append(("authorization", f"Bearer {principal.token}"))
    client = scope.get("client")
    if client:
        headers.append(("x-forwarded-for", client[0]))
    headers.append(("x-request-id", uuid.uuid4().hex))
    subprotocols: list[Any] = [
        p.strip() for p in scope.get("subprotocols", ()) if isinstance(p, str) and p.strip()
    ]
    try:
        upstream = await connect(
            url,
            additional_headers=headers,
            subprotocols=subprotocols or None,
            open_timeout=rt.settings.upstream_connect_timeout,
            max_size=None,  # the realtime service bounds its own frames
            compression=None,
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        code = {401: CLOSE_UNAUTHORIZED, 403: CLOSE_FORBIDDEN}.get(status, CLOSE_TRY_AGAIN)
        await _refuse(send, code, f"realtime service refused: {status}")
        return
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        log.warning("realtime WebSocket unavailable: %r", exc)
        await _refuse(send, CLOSE_TRY_AGAIN, "realtime service unavailable")
        return
    async with upstream:
        await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})
        await _pump(upstream, receive, send, rt, principal)


async def _pump(
    upstream: ClientConnection, receive: Receive, send: Send, rt: Runtime, principal: Principal
) -> None:
    client_open = True

    async def client_to_upstream() -> None:
        nonlocal client_open
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                client_open = False
                code = message.get("code", 1000)
                await upstream.close(code if 1000 <= code < 5000 and code != 1005 else 1000)
                return
            if message.get("text") is not None:
                await upstream.send(message["text"])
            elif message.get("bytes") is not None:
                await upstream.send(message["bytes"])

    async def upstream_to_client() -> None:
        with contextlib.suppress(ConnectionClosed):
            async for data in upstream:
                key = "text" if isinstance(data, str) else "bytes"
                await send({"type": "websocket.send", key: data})

    tasks = [
        asyncio.create_task(client_to_upstream()),
        asyncio.create_task(upstream_to_client()),
    ]
    # The socket lives no longer than the token that opened it: closed when the token expires,
    # and when auth revokes it (checked as often as the verifier polls the revocation list).
    revocations = rt.verifier.revocations
    ended: str | None = None
    pending: set[asyncio.Task[None]] = set(tasks)
    while ended is None:
        left = principal.expires_at - time.time()
        done, pending = await asyncio.wait(
            pending,
            timeout=max(min(left, revocations.poll_seconds), 0),
            return_when=asyncio.FIRST_COMPLETED,
        )
        if done:
            break
        if left <= revocations.poll_seconds:
            ended = "token expired"
        elif revocations.revoked(principal.username, principal.issued_at, principal.session_id):
            ended = "token revoked"
    for task in pending:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed, OSError):
            await task
    if client_open:
        if ended is not None:
            code, reason = CLOSE_UNAUTHORIZED, ended
        else:
            code = upstream.close_code or 1000
            code = 1011 if code in (1005, 1006) else code
            reason = upstream.close_reason or ""
        with contextlib.suppress(OSError, RuntimeError):
            await send({"type": "websocket.close", "code": code, "reason": reason})
