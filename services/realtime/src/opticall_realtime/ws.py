"""``WS /realtime/ws``: a snapshot, then a delta per change, for supervisors and admins.

Protocol (JSON text frames):
- server -> client: ``{"type":"snapshot","agents":[...]}`` first, after every ``subscribe``
  and after a resync; ``{"type":"agent_state","agent":{...}}`` per change;
  ``{"type":"ping"}`` every ``REALTIME_WS_PING_SECONDS``; ``{"type":"pong"}``;
  ``{"type":"error","detail":...}`` for a message it cannot use.
- client -> server: ``{"type":"ping"}``; ``{"type":"subscribe","queues":[...],
  "states":[...],"adherence":[...]}`` (omitted = all). The same filters work as query
  parameters ``queue``, ``state``, ``adherence`` on the URL.
The token comes as ``Authorization: Bearer`` or ``?access_token=`` (the gateway forwards it);
without a valid supervisor/admin token the handshake is refused with close code 1008.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from opticall_common.problems import Problem
from opticall_common.security import bearer_token
from opticall_realtime.deps import SUPERVISOR_ROLES, Runtime, get_runtime
from opticall_realtime.hub import RESYNC, Client, Filters, snapshot_message

log = logging.getLogger(__name__)
router = APIRouter()

PING = orjson.dumps({"type": "ping"}).decode()
PONG = orjson.dumps({"type": "pong"}).decode()


async def _authorize(ws: WebSocket, rt: Runtime) -> bool:
    token = bearer_token(ws)
    try:
        if not token:
            raise Problem(401, "missing bearer token")
        principal = await rt.res.verifier.verify(token)
        if not principal.has_any(SUPERVISOR_ROLES):
            raise Problem(403, "your role may not use this endpoint")
    except Problem as exc:
        await ws.close(code=1008, reason=exc.detail[:120])
        return False
    return True


def _filters_from_query(ws: WebSocket) -> Filters:
    qp = ws.query_params
    return Filters.of(
        qp.getlist("queue") or None, qp.getlist("state") or None, qp.getlist("adherence") or None
    )


def _str_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("filters must be lists of strings")
    return value


async def _writer(ws: WebSocket, client: Client, rt: Runtime) -> None:
    while True:
        message = await client.queue.get()
        if message == RESYNC:
            # Clear the flag and build the snapshot with no await in between: every change
            # after this point is queued as a delta, every one before is in the snapshot.
            client.resync_pending = False
            message = snapshot_message(rt.view.records, client.filters)
        await ws.send_text(message)


async def _pinger(client: Client, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        client.send_control(PING)


async def _reader(ws: WebSocket, client: Client) -> None:
    while True:
        text = await ws.receive_text()
        try:
            msg = orjson.loads(text)
            kind = msg.get("type") if isinstance(msg, dict) else None
            if kind == "ping":
                client.send_control(PONG)
            elif kind == "subscribe":
                client.filters = Filters.of(
                    _str_list(msg.get("queues")),
                    _str_list(msg.get("states")),
                    _str_list(msg.get("adherence")),
                )
                client.request_resync()
            else:
                raise ValueError("expected a message of type ping or subscribe")
        except (orjson.JSONDecodeError, ValueError) as exc:
            client.send_control(orjson.dumps({"type": "error", "detail": str(exc)}).decode())


@router.websocket("/realtime/ws")
async def realtime_ws(ws: WebSocket) -> None:
    rt = get_runtime(ws)
    if not await _authorize(ws, rt):
        return
    await ws.accept()
    client = rt.hub.add(_filters_from_query(ws))
    client.request_resync()  # the first message is the snapshot
    tasks = [
        asyncio.create_task(_writer(ws, client, rt)),
        asyncio.create_task(_pinger(client, rt.settings.ws_ping_seconds)),
        asyncio.create_task(_reader(ws, client)),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            exc = task.exception()
            if exc is not None and not isinstance(exc, WebSocketDisconnect | RuntimeError):
                log.warning("websocket client failed: %r", exc)
    finally:
        rt.hub.remove(client)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(RuntimeError):
            await ws.close()
