"""Client connection limits (connection_limits.py) on a real uvicorn server, over raw sockets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import h11
import pytest
import uvicorn
from services.gateway.tests.conftest import free_port
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from opticall_gateway import connection_limits
from opticall_gateway.config import Settings
from opticall_gateway.connection_limits import LimitedHttpToolsProtocol

LIMITS = Settings(
    env="test", header_timeout=0.5, body_timeout=0.5, max_header_bytes=4096, max_headers=20
)
SEEN: list[str] = []  # what the app was told: "body:<n>" or "disconnect"


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    request = Request(scope, receive)
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            SEEN.append("disconnect")
            return
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    SEEN.append(f"body:{len(body)}")
    await JSONResponse({"path": request.url.path, "bytes": len(body)})(scope, receive, send)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    patch = pytest.MonkeyPatch()
    patch.setattr(connection_limits, "get_settings", lambda: LIMITS)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, http=LimitedHttpToolsProtocol, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    yield "127.0.0.1", port
    srv.should_exit = True
    thread.join(timeout=5)
    patch.undo()


def responses(sock: socket.socket) -> list[h11.Response]:
    """Every response read until the server closes the connection (within 5 s)."""
    sock.settimeout(5)
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("host", "x")]))  # parser state
    out: list[h11.Response] = []
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = sock.recv(65536)
            conn.receive_data(data)
            if not data:
                return out
            continue
        if isinstance(event, h11.Response):
            out.append(event)
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            return out


def status_then_closed(sock: socket.socket) -> int:
    """The one status the server answered before closing (the socket must then be at EOF)."""
    got = responses(sock)
    assert len(got) == 1, got
    sock.settimeout(5)
    assert sock.recv(1) == b""  # closed by the server, not by us
    return got[0].status_code


def test_a_normal_request_passes(server: tuple[str, int]) -> None:
    with socket.create_connection(server) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        sock.settimeout(5)
        assert b"200 OK" in sock.recv(65536)


def test_silent_connection_is_closed_408(server: tuple[str, int]) -> None:
    with socket.create_connection(server) as sock:
        assert status_then_closed(sock) == 408


def test_slow_headers_are_closed_408(server: tuple[str, int]) -> None:
    with socket.create_connection(server) as sock:
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n")
        with pytest.raises(OSError):  # the server closes while we trickle
            for _ in range(40):
                sock.sendall(b"X")
                time.sleep(0.05)
        assert status_then_closed(sock) == 408


def test_slow_body_is_closed_and_the_handler_told(server: tuple[str, int]) -> None:
    SEEN.clear()
    with socket.create_connection(server) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        assert status_then_closed(sock) == 408
    assert SEEN == ["disconnect"]


def test_an_oversized_header_is_431_before_it_is_all_sent(server: tuple[str, int]) -> None:
    size = 8 * 1024 * 1024
    sent = 0
    with socket.create_connection(server) as sock:
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
        chunk = b"a" * 65536
        with pytest.raises(OSError):
            while sent < size:
                sock.sendall(chunk)
                sent += len(chunk)
        assert sent < size  # refused long before the 8 MiB were in
        assert status_then_closed(sock) == 431


def test_too_many_header_fields_is_431(server: tuple[str, int]) -> None:
    head = b"GET /x HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(25))
    with socket.create_connection(server) as sock:
        sock.sendall(head + b"\r\n")
        assert status_then_closed(sock) == 431


def test_limits_hold_for_every_request_of_a_kept_alive_connection(
    server: tuple[str, int],
) -> None:
    with socket.create_connection(server) as sock:
        sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(5)
        assert b"200 OK" in sock.recv(65536)
        sock.sendall(b"GET /b HTTP/1.1\r\nHost: x\r\n")  # a second request, never finished
        assert status_then_closed(sock) == 408


def test_pipelined_requests_are_answered_in_order(server: tuple[str, int]) -> None:
    with socket.create_connection(server) as sock:
        sock.sendall(
            b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
            b"GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        sock.settimeout(5)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    paths = [part.split(b'"')[0] for part in data.split(b'{"path":"')[1:]]
    assert paths == [b"/one", b"/two", b"/three"]
