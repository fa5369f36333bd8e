"""The lean upstream client against a scripted HTTP server: framing, reuse, limits, failures."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from opticall_gateway.upstream import (
    UpstreamError,
    UpstreamPool,
    UpstreamTimeout,
)

# A handler gets the raw request head and body and answers on the writer (or does not).
Handler = Callable[[bytes, bytes, asyncio.StreamWriter], Awaitable[None]]


class Upstream:
    """A TCP server that reads HTTP/1.1 requests and lets each test script the answer."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.open = 0
        self.peak = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self.peak = max(self.peak, self.open)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                self.requests.append(head + body)
                await self.handler(head, body, writer)
                if writer.is_closing():
                    return
        finally:
            self.open -= 1
            writer.close()


@contextlib.asynccontextmanager
async def upstream(handler: Handler) -> AsyncIterator[Upstream]:
    up = Upstream(handler)
    up.server = await asyncio.start_server(up.serve, "127.0.0.1", 0)
    try:
        yield up
    finally:
        up.server.close()


def pool(url: str, *, limit: int = 10, read_timeout: float = 5.0) -> UpstreamPool:
    return UpstreamPool(
        url, limit=limit, connect_timeout=2.0, read_timeout=read_timeout, keepalive=4
    )


def ok(body: bytes = b'{"ok":true}', extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), extra, body)


async def answer_ok(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
    writer.write(ok())


async def get(p: UpstreamPool, target: bytes = b"/x", method: str = "GET") -> tuple[int, bytes]:
    resp = await p.request(method, target, [(b"accept", b"*/*")], None)
    try:
        body = b"".join([c async for c in resp.iter_chunks()])
    finally:
        resp.release()
    return resp.status, body


async def test_sends_the_request_as_given_and_reuses_the_connection() -> None:
    async with upstream(answer_ok) as up:
        p = pool(up.url)
        for _ in range(3):
            assert await get(p, b"/agents?x=1") == (200, b'{"ok":true}')
        resp = await p.request("POST", b"/login", [(b"content-length", b"2")], b"{}")
        assert resp.status == 200 and resp.content_length == 11
        assert await resp.read() == b'{"ok":true}'
        resp.release()
        assert up.connections == 1
        first = up.requests[0]
        assert first.startswith(b"GET /agents?x=1 HTTP/1.1\r\nhost: 127.0.0.1:")
        assert b"\r\naccept: */*\r\n" in first
        assert up.requests[-1].endswith(b"\r\n\r\n{}")
        p.close()


async def test_a_path_prefix_in_the_upstream_url_is_kept() -> None:
    async with upstream(answer_ok) as up:
        p = pool(up.url + "/api/")
        await get(p, b"/agents")
        assert up.requests[0].startswith(b"GET /api/agents HTTP/1.1")


async def test_chunked_and_large_answers_stream_through_intact() -> None:
    big = bytes(range(256)) * 8192  # 2 MiB: past the high-water mark, so reading pauses

    async def chunked(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        for i in range(0, len(big), 100_000):
            part = big[i : i + 100_000]
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
            await writer.drain()
        writer.write(b"0\r\n\r\n")

    async with upstream(chunked) as up:
        p = pool(up.url)
        resp = await p.request("GET", b"/report.csv", [], None)
        got = bytearray()
        async for chunk in resp.iter_chunks():
            got += chunk
            await asyncio.sleep(0)  # a slow client: the upstream must wait, not be buffered
        resp.release()
        assert bytes(got) == big and resp.content_length is None
        assert await get(p) == (200, big)
        assert up.connections == 1  # read to its end, the connection was reused


async def test_an_answer_ended_by_close_is_complete_and_not_reused() -> None:
    async def until_eof(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nall of it")
        await writer.drain()
        writer.close()

    async with upstream(until_eof) as up:
        p = pool(up.url)
        assert await get(p) == (200, b"all of it")
        assert await get(p) == (200, b"all of it")
        assert up.connections == 2


async def test_no_content_answers_keep_the_connection() -> None:
    async def no_content(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")

    async with upstream(no_content) as up:
        p = pool(up.url)
        assert await get(p) == (204, b"")
        assert await get(p) == (204, b"")
        assert up.connections == 1


async def test_interim_answers_are_skipped() -> None:
    async def early_hints(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n")
        await writer.drain()
        writer.write(ok())

    async with upstream(early_hints) as up:
        p = pool(up.url)
        resp = await p.request("GET", b"/x", [], None)
        assert resp.status == 200
        assert [k for k, _ in resp.headers] == [b"content-length"]
        assert await resp.read() == b'{"ok":true}'
        resp.release()
        assert await get(p) == (200, b'{"ok":true}')
        assert up.connections == 1


async def test_a_connection_closed_before_answering_is_retried_for_idempotent_methods() -> None:
    seen = [0]

    async def close_first(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        seen[0] += 1
        if seen[0] == 2:  # the second request arrives on the pooled connection: drop it
            writer.close()
            return
        writer.write(ok())

    async with upstream(close_first) as up:
        p = pool(up.url)
        assert await get(p) == (200, b'{"ok":true}')
        assert await get(p) == (200, b'{"ok":true}')  # retried on a new connection
        assert up.connections == 2
        seen[0] = 1
        with pytest.raises(UpstreamError):  # a POST may have been acted on: never resent
            await p.request("POST", b"/shifts", [(b"content-length", b"2")], b"{}")


async def test_the_connection_limit_holds_under_concurrency() -> None:
    async def slow(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.02)
        writer.write(ok())

    async with upstream(slow) as up:
        p = pool(up.url, limit=2)
        results = await asyncio.gather(*(get(p) for _ in range(10)))
        assert all(status == 200 for status, _ in results)
        assert up.peak <= 2


async def test_silence_is_a_timeout_and_the_connection_is_dropped() -> None:
    async def silent(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(1)

    async with upstream(silent) as up:
        p = pool(up.url, read_timeout=0.2)
        with pytest.raises(UpstreamTimeout):
            await get(p)
        assert not p._open


async def test_nothing_listening_is_an_upstream_error() -> None:
    async with upstream(answer_ok) as up:
        url = up.url
    with pytest.raises(UpstreamError, match="could not connect"):
        await get(pool(url))


async def test_malformed_and_broken_answers_are_upstream_errors() -> None:
    async def garbage(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")

    async def short(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part")
        await writer.drain()
        writer.close()

    async with upstream(garbage) as up:
        with pytest.raises(UpstreamError, match="malformed"):
            await get(pool(up.url))
    async with upstream(short) as up:
        p = pool(up.url)
        with pytest.raises(UpstreamError, match="broke off"):
            await get(p)
        assert not p._open and not p._idle


async def test_unasked_bytes_on_an_idle_connection_close_it() -> None:
    async def chatty(head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(ok() + b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")

    async with upstream(chatty) as up:
        p = pool(up.url)
        await get(p)
        await asyncio.sleep(0.05)
        assert await get(p) == (200, b'{"ok":true}')
        assert up.connections == 2


def test_only_http_urls_are_accepted() -> None:
    with pytest.raises(ValueError, match="upstream URL"):
        UpstreamPool("ftp://x", limit=1, connect_timeout=1, read_timeout=1, keepalive=1)
