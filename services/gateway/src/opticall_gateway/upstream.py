"""The proxy's upstream client: HTTP/1.1 keep-alive connections parsed by httptools.

Why not aiohttp here: profiled on ``bench/gateway``, aiohttp's client was about half of the
gateway's CPU per proxied request (request and response objects, a header multidict, a
timer context, a stream reader and its waiters, per request), which kept the proxied GET
near 0.5x the upstream called directly. A proxy needs none of that: it writes the request
it already has as bytes in one ``write`` and hands back the status, the raw headers and the
body as httptools' C parser (llhttp, the one uvicorn serves with) delivers them.

What this client does and does not do:

- one pool of idle keep-alive connections per upstream, at most ``limit`` connections
  open; idle ones are dropped after ``keepalive`` seconds (before uvicorn's 5 s closes them);
- a request body is sent whole (``bytes``); streamed uploads and ``HEAD`` (whose answer
  llhttp cannot be told has no body) stay on aiohttp (``proxy.forward``);
- a reused connection that turns out closed before any answer is retried once on a new
  one, for idempotent methods only (as aiohttp does);
- a response body is buffered up to ``HIGH_WATER`` bytes, then reading pauses until the
  caller has taken it: a large report streams through in constant memory;
- ``connect_timeout`` bounds connecting; ``read_timeout`` bounds every wait for bytes.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httptools

HIGH_WATER = 256 * 1024
LOW_WATER = 64 * 1024
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


class UpstreamError(Exception):
    """The upstream could not be reached or broke off (the proxy answers 503)."""


class UpstreamConnectTimeout(UpstreamError):
    """No connection within ``connect_timeout`` (503: the service is not there)."""


class UpstreamTimeout(UpstreamError):
    """Connected, but no bytes for ``read_timeout`` (504)."""


class _Stale(UpstreamError):
    """A pooled connection closed before anything came back: safe to retry if idempotent."""


class Response(asyncio.Protocol):
    """One connection, and the answer to the request in flight on it.

    The protocol object is the response object too: one allocation per request fewer, and
    the parser's callbacks write straight into the fields the proxy reads.
    """

    def __init__(self, pool: UpstreamPool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._reset()

    def _reset(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []  # names lower-cased
        self.content_length: int | None = None
        self._framed = False  # Content-Length or chunked: the end is known without EOF
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._paused = False
        self._complete = False
        self._interim = False
        self._keep_alive = False
        self._error: UpstreamError | None = None
        self._got_bytes = False
        self._waiter: asyncio.Future[None] | None = None
        self._last_read = 0.0
        self._timer: asyncio.TimerHandle | None = None

    # --- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._complete or self._error is not None:
            self._close()  # bytes nobody asked for: the connection cannot be trusted
            return
        self._got_bytes = True
        self._last_read = time.monotonic()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if self._complete:  # a second answer after ours (on_message_begin): drop it
                self._close()
                return
            self._fail(UpstreamError(f"malformed answer from the upstream: {exc}"))
            self._close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._complete:
            return
        if self.status and not self._framed:
            self._on_complete()  # no Content-Length, not chunked: the body ends at EOF
        elif not self._got_bytes:
            self._fail(_Stale("the upstream closed the connection"))
        else:
            self._fail(UpstreamError(f"the upstream broke off its answer: {exc!r}"))

    # --- httptools callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._complete:
            raise UpstreamError("a second answer to one request")

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"content-length":
            self.content_length = int(value)
            self._framed = True
        elif name == b"transfer-encoding":
            self._framed = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # 100 Continue, 103 Early Hints: the answer is still to come
            self._interim = True
            self.headers.clear()
            self.content_length = None
            return
        self.status = status
        if status in (204, 304):
            self._framed = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            return
        self._keep_alive = self.parser.should_keep_alive()
        self._on_complete()

    # --- for the proxy ----------------------------------------------------------------------

    async def read(self) -> bytes:
        """The whole body (the caller checked ``content_length`` is small)."""
        while not self._complete:
            await self._wait()
        body = b"".join(self._chunks)
        self._chunks.clear()
        return body

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        while True:
            while self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._paused and self._buffered < LOW_WATER and self.transport is not None:
                    self._paused = False
                    self.transport.resume_reading()
                yield chunk
            if self._complete:
                return
            await self._wait()

    def release(self) -> None:
        """Back to the pool if the answer was read to its end and may be reused; else closed."""
        self._cancel_timer()
        if self._complete and self._keep_alive and not self.closed and not self._chunks:
            self.pool._put_back(self)
        else:
            self._close()
            self.pool._forget(self)

    # --- internals --------------------------------------------------------------------------

    def _send(self, data: bytes, read_timeout: float) -> None:
        assert self.transport is not None
        self._last_read = time.monotonic()
        self._timer = asyncio.get_running_loop().call_later(
            read_timeout, self._check_timeout, read_timeout
        )
        self.transport.write(data)

    async def _head(self) -> None:
        while not self.status:
            await self._wait()

    async def _wait(self) -> None:
        if self._error is not None:
            raise self._error
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            self._waiter = None
        if self._error is not None:
            raise self._error

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _on_complete(self) -> None:
        self._complete = True
        self._cancel_timer()
        self._wake()

    def _fail(self, error: UpstreamError) -> None:
        if self._error is None:
            self._error = error
        self._cancel_timer()
        self._wake()

    def _check_timeout(self, read_timeout: float) -> None:
        # Re-armed lazily: data_received only stamps the time, it never touches the timer.
        left = self._last_read + read_timeout - time.monotonic()
        if self._paused:  # waiting for our own caller, not for the upstream
            left = read_timeout
        if left > 0:
            self._timer = asyncio.get_running_loop().call_later(
                left, self._check_timeout, read_timeout
            )
            return
        self._timer = None
        self._fail(UpstreamTimeout(f"no answer from the upstream in {read_timeout:g} s"))
        self._close()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class UpstreamPool:
    """Keep-alive connections to one upstream (``http[s]://host[:port][/prefix]``)."""

    def __init__(
        self,
        url: str,
        *,
        limit: int,
        connect_timeout: float,
        read_timeout: float,
        keepalive: float,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"upstream URL must be http[s]://host[:port][/prefix]: {url!r}")
        self.host = parts.hostname
        self.tls = ssl.create_default_context() if parts.scheme == "https" else None
        self.port = parts.port or (443 if self.tls else 80)
        self.host_header = parts.netloc.encode("idna")
        self.prefix = parts.path.rstrip("/").encode()  # a service mounted under a path
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.keepalive = keepalive
        self._idle: collections.deque[Response] = collections.deque()
        self._slots = asyncio.Semaphore(limit)
        self._open: set[Response] = set()

    async def request(
        self,
        method: str,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes | None,
    ) -> Response:
        """Send one request; the response once its status and headers are in.

        The caller must ``release()`` it (after reading the body, or to give up on it).
        """
        path = self.prefix + target if self.prefix else target
        head = [method.encode(), b" ", path, b" HTTP/1.1\r\nhost: ", self.host_header]
        for name, value in headers:
            head += (b"\r\n", name, b": ", value)
        head.append(b"\r\n\r\n")
        if body:
            head.append(body)
        data = b"".join(head)
        await self._slots.acquire()
        try:
            conn = self._pooled()
            if conn is not None:
                try:
                    return await self._exchange(conn, data)
                except _Stale:
                    if method not in IDEMPOTENT:
                        raise
                    conn.release()  # closed: forgotten, and its slot is ours again
                    await self._slots.acquire()
            return await self._exchange(await self._connect(), data)
        except BaseException:
            self._slots.release()
            raise

    def close(self) -> None:
        for conn in list(self._open):
            conn._close()
        self._open.clear()
        self._idle.clear()

    async def _exchange(self, conn: Response, data: bytes) -> Response:
        conn._reset()
        conn._send(data, self.read_timeout)
        try:
            await conn._head()
        except BaseException:
            conn._close()
            self._open.discard(conn)
            raise
        return conn

    def _pooled(self) -> Response | None:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()  # the most recently used: least likely to be closed
            if conn.closed or now - conn.idle_since > self.keepalive:
                conn._close()
                self._open.discard(conn)
                continue
            return conn
        return None

    async def _connect(self) -> Response:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(lambda: Response(self), self.host, self.port, ssl=self.tls),
                self.connect_timeout,
            )
        except TimeoutError as exc:
            raise UpstreamConnectTimeout(
                f"could not connect to {self.host}:{self.port} in {self.connect_timeout:g} s"
            ) from exc
        except OSError as exc:
            raise UpstreamError(f"could not connect to {self.host}:{self.port}: {exc}") from exc
        self._open.add(conn)
        return conn

    def _put_back(self, conn: Response) -> None:
        conn.idle_since = time.monotonic()
        self._idle.append(conn)
        self._slots.release()

    def _forget(self, conn: Response) -> None:
        self._open.discard(conn)
        self._slots.release()

    def __repr__(self) -> str:
        return f"UpstreamPool({self.host}:{self.port}, open={len(self._open)})"
