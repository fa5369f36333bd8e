"""Forward one HTTP request to its upstream and stream the answer back, on one pooled session.

Bodies are streamed both ways so a large CSV upload or report never sits in memory whole;
small bodies with a Content-Length are read at once, which is cheaper than chunking them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import aiohttp
import yarl
from starlette.types import Receive, Scope, Send

from opticall_gateway.responses import Headers, send_problem
from opticall_gateway.state import Gateway

log = logging.getLogger(__name__)

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Never taken from the client: the gateway sets them itself (auth throttles logins by
# X-Forwarded-For, so a client must not choose its own address).
_SET_BY_GATEWAY = frozenset(
    {
        b"host",
        b"x-forwarded-for",
        b"x-forwarded-host",
        b"x-forwarded-proto",
        b"x-real-ip",
        b"forwarded",
        b"x-request-id",
        b"expect",
    }
)
REQUEST_DROP = HOP_BY_HOP | _SET_BY_GATEWAY
SMALL_BODY = 64 * 1024
# Headers aiohttp adds when a request lacks them; the upstream must see the client's request
# as sent (an added Accept-Encoding: gzip would reach a client that cannot read it).
_AUTO = ("accept", "accept-encoding", "user-agent")
_AUTO_CONTENT_TYPE = frozenset({"POST", "PUT", "PATCH"})  # aiohttp's POST_METHODS


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


def _connection_listed(values: list[bytes]) -> frozenset[bytes]:
    # Headers named in Connection are hop-by-hop too (RFC 9110 section 7.6.1).
    return frozenset(n.strip().lower() for v in values for n in v.split(b","))


def upstream_request_headers(scope: Scope, request_id: bytes) -> list[tuple[str, str]]:
    """The client's end-to-end headers plus the gateway's own, as str for aiohttp.

    One pass over the headers: this runs on every proxied request.
    """
    out: list[tuple[str, str]] = []
    host: bytes | None = None
    connection: list[bytes] = []
    for k, v in scope["headers"]:
        if k in REQUEST_DROP:
            if k == b"host":
                host = v
            elif k == b"connection":
                connection.append(v)
            continue
        out.append((k.decode("latin-1"), v.decode("latin-1")))
    if connection:  # rare: a client naming extra hop-by-hop headers
        listed = {n.decode("latin-1") for n in _connection_listed(connection)}
        out = [(k, v) for k, v in out if k not in listed]
    client = scope.get("client")
    if client:
        out.append(("x-forwarded-for", client[0]))
    if host is not None:
        out.append(("x-forwarded-host", host.decode("latin-1")))
    out.append(("x-forwarded-proto", scope.get("scheme", "http")))
    out.append(("x-request-id", request_id.decode("latin-1")))
    return out


def auto_headers_to_skip(
    headers: list[tuple[str, str]], method: str, has_body: bool
) -> list[str] | None:
    """The auto headers this request lacks, for aiohttp's ``skip_auto_headers``.

    Per request rather than on the session: a session-wide skip list sends every request
    down aiohttp's slow path (a sorted multidict built per request), and the usual client
    sends Accept, Accept-Encoding and User-Agent itself.
    """
    names = {k for k, _ in headers}
    skip = [h for h in _AUTO if h not in names]
    if (has_body or method in _AUTO_CONTENT_TYPE) and "content-type" not in names:
        skip.append("content-type")  # else aiohttp says application/octet-stream
    return skip or None


async def _read_small(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _stream(receive: Receive, limit: int) -> AsyncIterator[bytes]:
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def forward(
    gw: Gateway,
    service: str,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    request_id: bytes,
    response_headers: Headers,
    content_length: int | None,
    chunked: bool,
    response_drop: frozenset[bytes],
) -> None:
    path = scope["path"]
    raw_path: bytes = scope.get("raw_path") or path.encode()
    query: bytes = scope.get("query_string", b"")
    url = gw.upstreams[service] + raw_path.decode("latin-1")
    if query:
        url += "?" + query.decode("latin-1")
    headers = upstream_request_headers(scope, request_id)
    limit = gw.settings.max_body_bytes
    body: bytes | AsyncIterator[bytes] | None = None
    started = time.perf_counter()
    try:
        if content_length is not None and content_length <= SMALL_BODY:
            body = await _read_small(receive, limit)
        elif content_length is not None or chunked:
            body = _stream(receive, limit)
        response = await gw.session.request(
            scope["method"],
            yarl.URL(url, encoded=True),  # already encoded: forwarded byte for byte
            headers=headers,
            data=body,
            skip_auto_headers=auto_headers_to_skip(headers, scope["method"], body is not None),
            allow_redirects=False,
        )
    except BodyTooLarge:
        await send_problem(send, 413, _too_large(limit), response_headers, path)
        return
    except ClientGone:
        return
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        gw.metrics.observe(service, "timeout", None)
        log.warning("upstream %s timed out on %s: %r", service, path, exc)
        detail = f"the {service} service did not answer in time"
        status = 503 if isinstance(exc, aiohttp.ConnectionTimeoutError) else 504
        await send_problem(send, status, detail, response_headers, path)
        return
    except aiohttp.ClientError as exc:
        # aiohttp wraps what the request body raised while it was being sent.
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, BodyTooLarge):
            await send_problem(send, 413, _too_large(limit), response_headers, path)
            return
        if isinstance(cause, ClientGone):
            return
        gw.metrics.observe(service, "error", None)
        log.warning("upstream %s unavailable for %s: %r", service, path, exc)
        detail = f"the {service} service is unavailable; try again shortly"
        await send_problem(send, 503, detail, response_headers, path)
        return
    gw.metrics.observe(service, str(response.status), time.perf_counter() - started)
    try:
        out = [(n, v) for k, v in response.raw_headers if (n := k.lower()) not in response_drop]
        out += response_headers
        await send({"type": "http.response.start", "status": response.status, "headers": out})
        length = response.content_length
        if length is not None and length <= SMALL_BODY:
            # The usual small JSON answer: one read, one send.
            body_bytes = await response.read()
            await send({"type": "http.response.body", "body": body_bytes, "more_body": False})
            return
        # Hold one chunk back so the last one carries more_body=False.
        pending: bytes | None = None
        async for chunk in response.content.iter_any():
            if pending is not None:
                await send({"type": "http.response.body", "body": pending, "more_body": True})
            pending = chunk
        await send({"type": "http.response.body", "body": pending or b"", "more_body": False})
    except (aiohttp.ClientError, TimeoutError) as exc:
        # Headers are out: all we can do is cut the connection so the client sees it short.
        log.warning("upstream %s broke off its answer to %s: %r", service, path, exc)
        response.close()
    finally:
        response.release()


def _too_large(limit: int) -> str:
    return f"request body exceeds the gateway's limit of {limit} bytes"
