"""The gateway's edge: one pure ASGI middleware in front of everything.

Per request it does the least it can: one pass over the headers, one dict lookup for the
route, one dict lookup for an already-verified token, then either answers itself
(``/protected``), hands over to the FastAPI app (the gateway's own pages) or forwards the
request upstream. No BaseHTTPMiddleware, no Request objects on the hot path.

A request whose framing is ambiguous is refused with 400 before anything else: two
Content-Lengths, Content-Length with Transfer-Encoding, a Transfer-Encoding other than
chunked, or a Connection header naming a framing header (RFC 9110 7.6.1 would make it
hop-by-hop, and dropping it is how a body once became a second request upstream, issue #27).
The server's parser refuses most of these already; this holds whatever server runs us.
"""

from __future__ import annotations

import random

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opticall_common.problems import Problem
from opticall_common.security import Principal
from opticall_gateway.proxy import HOP_BY_HOP, connection_tokens, forward
from opticall_gateway.responses import Headers, send_json, send_problem
from opticall_gateway.route_table import GATEWAY
from opticall_gateway.runtime import Runtime
from opticall_gateway.websocket import relay

SECURITY_HEADERS: Headers = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
# Upstream copies of headers the gateway sets itself are dropped, so none is sent twice.
RESPONSE_DROP = HOP_BY_HOP | {k for k, _ in SECURITY_HEADERS} | {b"x-request-id"}
_CHALLENGE = [(b"www-authenticate", b'Bearer realm="opticall"')]
# What a Connection header may not name: the message's framing and its target.
FRAMING = frozenset({b"content-length", b"transfer-encoding", b"host"})


def _request_id(value: bytes | None) -> bytes:
    # A caller's id is kept for tracing across systems, if it is a sane token.
    if value and len(value) <= 128 and value.isascii() and value.replace(b"-", b"").isalnum():
        return value
    # A trace id, not a secret: the PRNG is a tenth of the cost of os.urandom's syscall.
    return b"%032x" % random.getrandbits(128)


def _bearer(value: bytes | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.partition(b" ")
    if scheme.lower() != b"bearer" or not token.strip():
        return None
    return token.strip().decode("latin-1")


def framing_error(
    lengths: list[bytes], encodings: list[bytes], connection: list[bytes]
) -> str | None:
    """Why the request's framing is ambiguous, or None when it is sound."""
    if len(lengths) > 1:
        return "more than one Content-Length"
    if encodings:
        if lengths:
            return "both Content-Length and Transfer-Encoding"
        if len(encodings) > 1 or encodings[0].strip().lower() != b"chunked":
            return "a Transfer-Encoding other than chunked"
    if connection and not FRAMING.isdisjoint(connection_tokens(connection)):
        return "Connection names a framing header (Content-Length, Transfer-Encoding or Host)"
    return None


class Edge:
    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.rt = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await relay(self.rt, scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorization = request_id = None
        lengths: list[bytes] = []
        encodings: list[bytes] = []
        connection: list[bytes] = []
        for key, value in scope["headers"]:
            if key == b"authorization":
                authorization = value
            elif key == b"content-length":
                lengths.append(value)
            elif key == b"x-request-id":
                request_id = value
            elif key == b"transfer-encoding":
                encodings.append(value)
            elif key == b"connection":
                connection.append(value)
        rid = _request_id(request_id)
        headers: Headers = [(b"x-request-id", rid), *SECURITY_HEADERS]
        path: str = scope["path"]
        if lengths or encodings or connection:
            error = framing_error(lengths, encodings, connection)
            if error is not None:
                # The connection cannot be trusted to be in step after this: close it.
                await send_problem(
                    send,
                    400,
                    f"ambiguous request framing: {error}",
                    [*headers, (b"connection", b"close")],
                    path,
                )
                return
        length = lengths[0] if lengths else None
        chunked = bool(encodings)
        match = self.rt.table.match(scope["method"], path)
        spec = match.spec
        if spec is None:
            if match.upgrade_required:
                await send_problem(send, 426, "this endpoint is a WebSocket", headers, path)
            elif match.allowed:
                allow = ", ".join(sorted(match.allowed)).encode()
                await send_problem(
                    send, 405, "method not allowed", [*headers, (b"allow", allow)], path
                )
            else:
                await send_problem(send, 404, "no such endpoint", headers, path)
            return
        scope["route"] = spec  # the metrics middleware labels requests by the template
        content_length = None
        if length is not None:
            try:
                content_length = int(length)
            except ValueError:
                await send_problem(send, 400, "invalid Content-Length", headers, path)
                return
            if content_length > self.rt.settings.max_body_bytes:
                detail = f"request body exceeds the limit of {self.rt.settings.max_body_bytes}"
                await send_problem(send, 413, detail + " bytes", headers, path)
                return
        principal: Principal | None = None
        if spec.roles is not None:
            token = _bearer(authorization)
            if token is None:
                await send_problem(send, 401, "missing bearer token", [*headers, *_CHALLENGE], path)
                return
            try:
                principal = await self.rt.verifier.verify(token)
            except Problem as exc:
                extra = [(k.lower().encode(), v.encode()) for k, v in (exc.headers or {}).items()]
                await send_problem(send, exc.status, exc.detail, [*headers, *extra], path)
                return
            if spec.roles and principal.roles.isdisjoint(spec.roles):
                await send_problem(send, 403, "your role may not use this endpoint", headers, path)
                return
        if spec.service != GATEWAY:
            await forward(
                self.rt,
                spec.service,
                scope,
                receive,
                send,
                request_id=rid,
                response_headers=headers,
                content_length=content_length,
                chunked=chunked,
                response_drop=RESPONSE_DROP,
            )
        elif principal is not None and path == "/protected":
            body = orjson.dumps({"username": principal.username, "roles": sorted(principal.roles)})
            await send_json(send, 200, body, headers)
        else:
            await self.app(scope, receive, _with_headers(send, headers))


def _with_headers(send: Send, headers: Headers) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *headers]
        await send(message)

    return wrapped
