"""``WS /realtime/ws``: authenticate at the edge, then relay frames to the realtime service.

Auth failures are reported AFTER accepting, by closing with 4401 (no or invalid token) or
4403 (role not allowed), plus a reason: a browser's WebSocket API cannot see the HTTP status
of a refused handshake, only close codes. If the realtime service cannot be reached the
socket is accepted and closed with 1013 (try again later). Unknown WebSocket paths are
refused before accepting (the server answers the handshake with 403). An open socket is closed
with 4401 when its token expires or auth revokes it (the user was disabled or their roles
changed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from opticall_common.problems import Problem
from opticall_common.security import Principal
from opticall_gateway.state import Gateway

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN = 1013
_FORWARDED = frozenset({b"authorization", b"cookie", b"user-agent", b"accept-language"})


def _token(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer":
                return None
            return token.strip() or None
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("access_token")
    return values[0] if values else None


async def _refuse(receive: Receive, send: Send, code: int, reason: str) -> None:
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": code, "reason": reason})


async def relay(gw: Gateway, scope: Scope, receive: Receive, send: Send) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    match = gw.table.match("GET", scope["path"], websocket=True)
    spec = match.spec
    if spec is None:
        await send({"type": "websocket.close", "code": 1008})
        return
    token = _token(scope)
    if token is None:
        await _refuse(receive, send, CLOSE_UNAUTHORIZED, "missing bearer token")
        return
    try:
        principal = await gw.verifier.verify(token)
    except Problem as exc:
        code = CLOSE_UNAUTHORIZED if exc.status == 401 else CLOSE_TRY_AGAIN
        await _refuse(receive, send, code, exc.detail[:120])
        return
    if spec.roles and principal.roles.isdisjoint(spec.roles):
        await _refuse(receive, send, CLOSE_FORBIDDEN, "your role may not use this endpoint")
        return

    base = gw.upstreams[spec.service].replace("http", "ws", 1)
    query = scope.get("query_string", b"").decode("latin-1")
    url = base + scope["path"] + (f"?{query}" if query else "")
    headers: list[tuple[str, str]] = [
        (k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"] if k in _FORWARDED
    ]
    if not any(k == "authorization" for k, _ in headers):
        headers.append(("authorization", f"Bearer {token}"))
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
            open_timeout=gw.settings.upstream_connect_timeout,
            max_size=None,  # the realtime service bounds its own frames
            compression=None,
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        code = {401: CLOSE_UNAUTHORIZED, 403: CLOSE_FORBIDDEN}.get(status, CLOSE_TRY_AGAIN)
        await _refuse(receive, send, code, f"realtime service refused: {status}")
        return
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        log.warning("realtime WebSocket unavailable: %r", exc)
        await _refuse(receive, send, CLOSE_TRY_AGAIN, "realtime service unavailable")
        return
    async with upstream:
        await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})
        await _pump(upstream, receive, send, gw, principal)


async def _pump(
    upstream: ClientConnection, receive: Receive, send: Send, gw: Gateway, principal: Principal
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
    revocations = gw.verifier.revocations
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
        elif revocations.revoked(principal.username, principal.issued_at):
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
