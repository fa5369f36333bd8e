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
from opticall_gateway.upstream import (
    Response,
    UpstreamConnectTimeout,
    UpstreamError,
    UpstreamTimeout,
)

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


_TIMEOUTS = (UpstreamTimeout, UpstreamConnectTimeout, TimeoutError, aiohttp.ServerTimeoutError)


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


def _connection_listed(values: list[bytes]) -> frozenset[bytes]:
    # Headers named in Connection are hop-by-hop too (RFC 9110 section 7.6.1).
    return frozenset(n.strip().lower() for v in values for n in v.split(b","))


def upstream_request_headers(scope: Scope, request_id: bytes) -> list[tuple[bytes, bytes]]:
    """The client's end-to-end headers plus the gateway's own.

    One pass over the headers: this runs on every proxied request.
    """
    out: list[tuple[bytes, bytes]] = []
    host: bytes | None = None
    connection: list[bytes] = []
    for k, v in scope["headers"]:
        if k in REQUEST_DROP:
            if k == b"host":
                host = v
            elif k == b"connection":
                connection.append(v)
            continue
        out.append((k, v))
    if connection:  # rare: a client naming extra hop-by-hop headers
        listed = _connection_listed(connection)
        out = [(k, v) for k, v in out if k not in listed]
    client = scope.get("client")
    if client:
        out.append((b"x-forwarded-for", client[0].encode("latin-1")))
    if host is not None:
        out.append((b"x-forwarded-host", host))
    out.append((b"x-forwarded-proto", scope.get("scheme", "http").encode("latin-1")))
    out.append((b"x-request-id", request_id))
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


class _AiohttpAnswer:
    """aiohttp's response with the lean client's face, for the requests it still carries."""

    __slots__ = ("_r", "content_length", "headers", "status")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._r = response
        self.status = response.status
        self.headers = [(k.lower(), v) for k, v in response.raw_headers]
        self.content_length = response.content_length

    async def read(self) -> bytes:
        return await self._r.read()

    def iter_chunks(self) -> AsyncIterator[bytes]:
        return self._r.content.iter_any()

    def release(self) -> None:
        self._r.release()


Answer = Response | _AiohttpAnswer


async def _ask_aiohttp(
    gw: Gateway,
    method: str,
    url: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes | AsyncIterator[bytes] | None,
) -> _AiohttpAnswer:
    str_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]
    response = await gw.session.request(
        method,
        yarl.URL(url, encoded=True),  # already encoded: forwarded byte for byte
        headers=str_headers,
        data=body,
        skip_auto_headers=auto_headers_to_skip(str_headers, method, body is not None),
        allow_redirects=False,
    )
    return _AiohttpAnswer(response)


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
    method: str = scope["method"]
    target: bytes = scope.get("raw_path") or path.encode()
    query: bytes = scope.get("query_string", b"")
    if query:
        target += b"?" + query
    headers = upstream_request_headers(scope, request_id)
    limit = gw.settings.max_body_bytes
    started = time.perf_counter()
    try:
        if content_length is None and not chunked:
            body: bytes | AsyncIterator[bytes] | None = None
        elif content_length is not None and content_length <= SMALL_BODY:
            body = await _read_small(receive, limit)
        else:
            body = _stream(receive, limit)
        answer: Answer
        if method != "HEAD" and (body is None or type(body) is bytes):
            # The hot path (see upstream.py); HEAD and streamed uploads stay on aiohttp.
            answer = await gw.pools[service].request(method, target, headers, body)
        else:
            url = gw.upstreams[service] + target.decode("latin-1")
            answer = await _ask_aiohttp(gw, method, url, headers, body)
    except BodyTooLarge:
        await send_problem(send, 413, _too_large(limit), response_headers, path)
        return
    except ClientGone:
        return
    except _TIMEOUTS as exc:
        gw.metrics.observe(service, "timeout", None)
        log.warning("upstream %s timed out on %s: %r", service, path, exc)
        detail = f"the {service} service did not answer in time"
        connect = isinstance(exc, UpstreamConnectTimeout | aiohttp.ConnectionTimeoutError)
        await send_problem(send, 503 if connect else 504, detail, response_headers, path)
        return
    except (UpstreamError, aiohttp.ClientError) as exc:
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
    gw.metrics.observe(service, str(answer.status), time.perf_counter() - started)
    try:
        out = [(k, v) for k, v in answer.headers if k not in response_drop]
        out += response_headers
        await send({"type": "http.response.start", "status": answer.status, "headers": out})
        length = answer.content_length
        if length is not None and length <= SMALL_BODY:
            # The usual small JSON answer: one read, one send.
            body_bytes = await answer.read()
            await send({"type": "http.response.body", "body": body_bytes, "more_body": False})
            return
        # Hold one chunk back so the last one carries more_body=False.
        pending: bytes | None = None
        async for chunk in answer.iter_chunks():
            if pending is not None:
                await send({"type": "http.response.body", "body": pending, "more_body": True})
            pending = chunk
        await send({"type": "http.response.body", "body": pending or b"", "more_body": False})
    except (UpstreamError, aiohttp.ClientError, TimeoutError) as exc:
        # Headers are out: all we can do is cut the connection so the client sees it short.
        # (release() below closes an upstream connection whose answer was not read whole.)
        log.warning("upstream %s broke off its answer to %s: %r", service, path, exc)
        if isinstance(answer, _AiohttpAnswer):
            answer._r.close()
    finally:
        answer.release()


def _too_large(limit: int) -> str:
    return f"request body exceeds the gateway's limit of {limit} bytes"
