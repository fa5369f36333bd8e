"""The gateway as a hardened edge (issue #27 section 3), on a gateway process of its own with
short timeouts in front of the real suite: slow clients are cut off, oversized heads refused
early, /metrics stays off the public port, WebSockets are capped per user and opened with
single-use tickets from auth, from allowed origins only."""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.integration.gateway.extra import Gateway, extra_gateway
from tests.integration.suite import Suite

HEADER_TIMEOUT = 2
BODY_TIMEOUT = 3
WS_CAP = 3


@pytest.fixture(scope="module")
def edge(suite: Suite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with extra_gateway(
        suite,
        tmp_path_factory.mktemp("edge"),
        GATEWAY_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
        GATEWAY_BODY_TIMEOUT=str(BODY_TIMEOUT),
        GATEWAY_WS_MAX_PER_USER=str(WS_CAP),
        GATEWAY_WS_ORIGINS="https://wallboard.example",
    ) as gateway:
        yield gateway


def _open(edge: Gateway, first: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", edge.port), timeout=10)
    sock.sendall(first)
    sock.setblocking(False)
    return sock


def test_slow_clients_are_closed_while_others_are_served(edge: Gateway, suite: Suite) -> None:
    slow_head = [_open(edge, b"GET /agents HTTP/1.1\r\nHost: x\r\nX-Slow: ") for _ in range(150)]
    slow_body = [
        _open(
            edge,
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"username": ',
        )
        for _ in range(20)
    ]
    # Held open by 170 slow clients, the gateway still answers everyone else.
    token = suite.admin_token()
    resp = httpx.get(edge.url + "/protected", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    answers: dict[socket.socket, bytes] = {s: b"" for s in slow_head + slow_body}
    open_ = set(answers)
    selector = selectors.DefaultSelector()
    for sock in open_:
        selector.register(sock, selectors.EVENT_READ)
    deadline = time.monotonic() + max(HEADER_TIMEOUT, BODY_TIMEOUT) + 30
    while open_ and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                chunk = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except ConnectionResetError:
                chunk = b""
            if chunk:
                answers[sock] += chunk
                continue
            selector.unregister(sock)
            open_.discard(sock)
        # Keep trickling, as slowloris does: one byte a second on every connection still open.
        for sock in list(open_):
            with contextlib.suppress(OSError):
                sock.send(b"a")
    for sock in answers:
        sock.close()
    assert not open_, f"{len(open_)} of 170 slow connections still open"
    for sock in slow_head + slow_body:
        assert answers[sock].startswith(b"HTTP/1.1 408"), answers[sock][:200]


def _send_head(edge: Gateway, head: bytes, total: int) -> tuple[int, bytes]:
    """Send a request head of ``total`` bytes in 64 KiB chunks until the gateway stops us;
    (bytes sent, answer)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", edge.port), timeout=15) as sock:
        try:
            sock.sendall(head)
            sent = len(head)
            filler = b"a" * 65536
            while sent < total:
                sock.sendall(filler)
                sent += len(filler)
        except OSError:
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
    return sent, answer


def test_an_8_mib_authorization_header_is_refused_before_it_is_read(edge: Gateway) -> None:
    total = 8 * 1024 * 1024
    sent, answer = _send_head(
        edge, b"GET /protected HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ", total
    )
    assert sent < total, "the gateway read the whole 8 MiB header"
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]


def test_twenty_thousand_headers_are_refused(edge: Gateway) -> None:
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(20_000))
    with socket.create_connection(("127.0.0.1", edge.port), timeout=15) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        answer = sock.recv(65536)
    assert answer.startswith((b"HTTP/1.1 431", b"HTTP/1.1 400")), answer[:200]


def test_metrics_are_on_the_metrics_port_only(edge: Gateway, suite: Suite) -> None:
    public = httpx.get(edge.url + "/metrics")
    assert public.status_code == 404
    assert public.headers["content-type"] == "application/problem+json"
    assert httpx.get(suite.gateway + "/metrics").status_code == 404
    private = httpx.get(edge.metrics_url)
    assert private.status_code == 200
    assert "opticall_http_requests_total" in private.text
    assert "opticall_gateway_upstream_requests_total" in private.text


def _ws(edge: Gateway, query: str = "") -> str:
    return edge.url.replace("http", "ws", 1) + "/realtime/ws" + query


def _ticket(edge: Gateway, token: str) -> str:
    resp = httpx.post(
        edge.url + "/realtime/ws-ticket", headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["expires_in"] == 30
    return str(resp.json()["ticket"])


def _close_code(url: str, additional_headers: dict[str, str] | None = None) -> int:
    with (
        connect(url, open_timeout=15, additional_headers=additional_headers) as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        ws.recv(timeout=15)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def test_a_ticket_from_auth_opens_the_stream_once(edge: Gateway, suite: Suite) -> None:
    token = suite.user_token("supervisor")
    ticket = _ticket(edge, token)
    with connect(_ws(edge, f"?ticket={ticket}"), open_timeout=15) as ws:
        assert json.loads(ws.recv(timeout=15))["type"] == "snapshot"
    assert _close_code(_ws(edge, f"?ticket={ticket}")) == 4401  # spent
    # An agent gets no ticket: the route is for supervisors and admins.
    agent = suite.user_token("agent")
    resp = httpx.post(
        edge.url + "/realtime/ws-ticket", headers={"Authorization": f"Bearer {agent}"}
    )
    assert resp.status_code == 403


def test_a_foreign_origin_is_refused_and_an_allowed_one_served(edge: Gateway, suite: Suite) -> None:
    token = suite.user_token("supervisor")
    bearer = {"Authorization": f"Bearer {token}"}
    with pytest.raises(InvalidStatus) as refused:
        connect(
            _ws(edge),
            additional_headers={**bearer, "Origin": "https://evil.example"},
            open_timeout=15,
        )
    assert refused.value.response.status_code == 403
    for origin in ("https://wallboard.example", f"http://127.0.0.1:{edge.port}"):
        headers = {**bearer, "Origin": origin}
        with connect(_ws(edge), additional_headers=headers, open_timeout=15) as ws:
            assert json.loads(ws.recv(timeout=15))["type"] == "snapshot", origin


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_websockets_are_capped_per_user_and_given_back(edge: Gateway, suite: Suite) -> None:
    tokens = [suite.user_token("supervisor") for _ in range(2)]
    bearer = [{"Authorization": f"Bearer {t}"} for t in tokens]
    with contextlib.ExitStack() as held:
        sockets = [
            held.enter_context(connect(_ws(edge), additional_headers=bearer[0], open_timeout=15))
            for _ in range(WS_CAP)
        ]
        for ws in sockets:
            assert json.loads(ws.recv(timeout=15))["type"] == "snapshot"
        assert _close_code(_ws(edge), additional_headers=bearer[0]) == 4429
        with connect(_ws(edge), additional_headers=bearer[1], open_timeout=15) as other:
            assert json.loads(other.recv(timeout=15))["type"] == "snapshot"  # per user
    # The places are given back as the sockets close.
    deadline = time.monotonic() + 15
    while True:
        try:
            with connect(_ws(edge), additional_headers=bearer[0], open_timeout=15) as again:
                assert json.loads(again.recv(timeout=15))["type"] == "snapshot"
            break
        except ConnectionClosed:
            assert time.monotonic() < deadline, "the closed sockets' places were not given back"
            time.sleep(0.5)


def test_memory_returns_after_many_websockets_close(edge: Gateway, suite: Suite) -> None:
    users = [{"Authorization": f"Bearer {suite.user_token('supervisor')}"} for _ in range(20)]
    # Warm up once, so lazily built state (imports, pools) does not count as a leak.
    with connect(_ws(edge), additional_headers=users[0], open_timeout=15) as ws:
        ws.recv(timeout=15)
    baseline = _rss_kib(edge.proc.pid)
    with contextlib.ExitStack() as opened:
        for headers in users:
            for _ in range(WS_CAP):
                ws = opened.enter_context(
                    connect(_ws(edge), additional_headers=headers, open_timeout=15)
                )
                ws.recv(timeout=15)
        peak = _rss_kib(edge.proc.pid)
    # The gateway collects and trims 2 s after the last close (sockets.RELEASE_DELAY).
    deadline = time.monotonic() + 20
    while True:
        after = _rss_kib(edge.proc.pid)
        grown, kept = peak - baseline, after - baseline
        # 60 sockets cost memory while open; most of it must come back once they are closed.
        if kept <= max(grown // 2, 2048):
            break
        assert time.monotonic() < deadline, (baseline, peak, after)
        time.sleep(1)
