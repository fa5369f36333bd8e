"""Forward one HTTP request to its upstream and stream the answer back, with aiohttp's client.

The upstream request is framed by aiohttp from the body the gateway actually sends: the
client's own framing headers (``Content-Length``, ``Transfer-Encoding``) never reach the
upstream, so no byte of a client's body can be read upstream as another request (issue #27:
a hand-written client once dropped ``Content-Length`` when ``Connection`` named it and sent
the body anyway). aiohttp closes, rather than reuses, any connection whose answer was not
read to its end or could not be parsed.

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

from opticall_common.security import FORWARDED_SIGNATURE_HEADER, sign_forwarded
from opticall_gateway.responses import Headers, send_problem
from opticall_gateway.runtime import Runtime

log = logging.getLogger(__name__)

# Hop-by-hop headers (RFC 9110 section 7.6.1), plus those the connection's framing owns.
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
# Never taken from the client: aiohttp frames the body and names the host itself, and the
# gateway states the client's address (auth throttles logins by it, so a client must not
# choose its own).
_SET_BY_GATEWAY = frozenset(
    {
        b"content-length",
        b"host",
        b"x-forwarded-for",
        b"x-forwarded-host",
        b"x-forwarded-proto",
        b"x-real-ip",
        b"forwarded",
        b"x-request-id",
        b"expect",
        FORWARDED_SIGNATURE_HEADER.encode(),
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


def connection_tokens(values: list[bytes]) -> frozenset[bytes]:
    """The header names a ``Connection`` header lists (hop-by-hop too, RFC 9110 7.6.1)."""
    return frozenset(n.strip().lower() for v in values for n in v.split(b","))


def upstream_request_headers(
    scope: Scope, request_id: bytes, forwarded_secret: bytes | None = None
) -> list[tuple[str, str]]:
    """The client's end-to-end headers plus the gateway's own, as aiohttp takes them.

    One pass over the headers: this runs on every proxied request. ``forwarded_secret``
    signs the stated client address for auth (opticall_common.security.sign_forwarded).
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
        listed = {n.decode("latin-1") for n in connection_tokens(connection)}
        out = [(k, v) for k, v in out if k not in listed]
    client = scope.get("client")
    if client:
        address = client[0]
        out.append(("x-forwarded-for", address))
        node = f'"[{address}]"' if ":" in address else address
        out.append(("forwarded", f"for={node}"))
        if forwarded_secret is not None:
            out.append((FORWARDED_SIGNATURE_HEADER, sign_forwarded(forwarded_secret, address)))
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
    rt: Runtime,
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
    secret = rt.forwarded_secret if service == "auth" else None
    headers = upstream_request_headers(scope, request_id, secret)
    limit = rt.settings.max_body_bytes
    started = time.perf_counter()
    body: bytes | AsyncIterator[bytes] | None
    try:
        if content_length is None and not chunked:
            body = None
        elif content_length is not None and content_length <= SMALL_BODY:
            body = await _read_small(receive, limit)
        else:
            body = _stream(receive, limit)
        url = yarl.URL(rt.upstreams[service] + target.decode("latin-1"), encoded=True)
        response = await rt.session.request(
            method,
            url,  # already encoded: forwarded byte for byte
            headers=headers,
            data=body,
            skip_auto_headers=auto_headers_to_skip(headers, method, body is not None),
            allow_redirects=False,
        )
    except BodyTooLarge:
        await send_problem(send, 413, _too_large(limit), response_headers, path)
        return
    except ClientGone:
        return
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        rt.metrics.observe(service, "timeout", None)
        log.warning("upstream %s timed out on %s: %r", service, path, exc)
        detail = f"the {service} service did not answer in time"
        connect = isinstance(exc, aiohttp.ConnectionTimeoutError)
        await send_problem(send, 503 if connect else 504, detail, response_headers, path)
        return
    except aiohttp.ClientError as exc:
        # aiohttp wraps what the request body raised while it was being sent.
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, BodyTooLarge):
            await send_problem(send, 413, _too_large(limit), response_headers, path)
            return
        if isinstance(cause, ClientGone):
            return
        rt.metrics.observe(service, "error", None)
        log.warning("upstream %s unavailable for %s: %r", service, path, exc)
        detail = f"the {service} service is unavailable; try again shortly"
        await send_problem(send, 503, detail, response_headers, path)
        return
    rt.metrics.observe(service, str(response.status), time.perf_counter() - started)
    await _answer(response, send, response_headers, response_drop, service, path)


async def _answer(
    response: aiohttp.ClientResponse,
    send: Send,
    response_headers: Headers,
    response_drop: frozenset[bytes],
    service: str,
    path: str,
) -> None:
    try:
        raw = response.raw_headers
        listed = connection_tokens([v for k, v in raw if k.lower() == b"connection"])
        out = [
            (k.lower(), v)
            for k, v in raw
            if k.lower() not in response_drop and k.lower() not in listed
        ]
        out += response_headers
        await send({"type": "http.response.start", "status": response.status, "headers": out})
        length = response.content_length
        if length is not None and length <= SMALL_BODY:
            # The usual small JSON answer: one read, one send.
            body = await response.read()
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        # Hold one chunk back so the last one carries more_body=False.
        pending: bytes | None = None
        async for chunk in response.content.iter_any():
            if pending is not None:
                await send({"type": "http.response.body", "body": pending, "more_body": True})
            pending = chunk
        await send({"type": "http.response.body", "body": pending or b"", "more_body": False})
    except (aiohttp.ClientError, TimeoutError) as exc:
        # Headers are out: all we can do is cut the connection so the client sees it short,
        # and drop the upstream connection, whose framing can no longer be trusted.
        log.warning("upstream %s broke off its answer to %s: %r", service, path, exc)
        response.close()
    finally:
        # Back to the pool only when read to its end; aiohttp closes it otherwise.
        response.release()


def _too_large(limit: int) -> str:
    return f"request body exceeds the gateway's limit of {limit} bytes"
