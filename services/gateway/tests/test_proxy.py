"""Forwarding: what reaches the upstream, what comes back, and every way it can fail."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import generate_latest
from services.gateway.tests.helpers import CSV_ROWS, bearer

from opticall_common.security import (
    DEVELOPMENT_FORWARDED_SECRET,
    FORWARDED_SIGNATURE_HEADER,
    sign_forwarded,
    signed_forwarded_for,
)
from opticall_common.testing import TokenFactory
from opticall_gateway.edge import framing_error

DEV_SECRET = DEVELOPMENT_FORWARDED_SECRET.encode()

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens on it here


def test_forwards_method_path_query_body_and_authorization(
    client: TestClient, factory: TokenFactory
) -> None:
    token = factory.token(roles=("supervisor",))
    resp = client.patch(
        "/agents/a%20b?x=1&y=%C3%A9", headers=bearer(token), content=b'{"name":"N"}'
    )
    echo = resp.json()
    assert resp.status_code == 200
    assert echo["method"] == "PATCH"
    assert echo["path"] == "/agents/a b"  # decoded by the upstream, as sent
    assert echo["query"] == "x=1&y=%C3%A9"
    assert echo["body"] == '{"name":"N"}'
    assert echo["headers"]["authorization"] == f"Bearer {token}"


def test_client_cannot_choose_its_forwarded_address(
    client: TestClient, factory: TokenFactory
) -> None:
    resp = client.post(
        "/login",
        json={"username": "u", "password": "p"},
        headers={
            "X-Forwarded-For": "6.6.6.6",
            "X-Real-IP": "6.6.6.6",
            "Forwarded": "for=6.6.6.6",
            FORWARDED_SIGNATURE_HEADER: sign_forwarded(DEV_SECRET, "6.6.6.6"),
        },
    )
    headers = resp.json()["headers"]
    assert headers["x-forwarded-for"] == "testclient"  # TestClient's peer address
    assert headers["forwarded"] == "for=testclient"
    assert "x-real-ip" not in headers
    # Signed for auth, with the gateway's secret, for the address the gateway stated.
    assert headers[FORWARDED_SIGNATURE_HEADER] == sign_forwarded(DEV_SECRET, "testclient")
    signed = signed_forwarded_for(
        DEV_SECRET, headers["x-forwarded-for"], headers[FORWARDED_SIGNATURE_HEADER]
    )
    assert signed == "testclient"


def test_only_auth_is_sent_the_signed_address(client: TestClient, factory: TokenFactory) -> None:
    echo = client.get("/agents", headers=bearer(factory.token())).json()
    assert echo["headers"]["x-forwarded-for"] == "testclient"
    assert FORWARDED_SIGNATURE_HEADER not in echo["headers"]


def test_framing_headers_are_never_taken_from_the_client(client: TestClient) -> None:
    # aiohttp frames the body it sends: the client's Content-Length does not reach upstream
    # as such, and the body arrives whole and alone.
    echo = client.post("/login", content=b'{"a":1}', headers={"Content-Type": "x/y"}).json()
    assert echo["body"] == '{"a":1}'
    assert echo["headers"]["content-length"] == "7"
    assert "transfer-encoding" not in echo["headers"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Connection": "keep-alive, content-length"},
        {"Connection": "Transfer-Encoding"},
        {"Connection": "close, host"},
    ],
    ids=["content-length", "transfer-encoding", "host"],
)
def test_connection_naming_a_framing_header_is_400_and_closes(
    client: TestClient, headers: dict[str, str]
) -> None:
    resp = client.post("/logout", content=b'{"refresh_token":"x"}', headers=headers)
    assert resp.status_code == 400, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.headers["connection"] == "close"
    assert "framing" in resp.json()["detail"]
    assert "x-upstream" not in resp.headers  # never forwarded


def test_edge_refuses_every_ambiguous_framing() -> None:
    assert framing_error([b"5", b"6"], [], []) == "more than one Content-Length"
    assert "both" in (framing_error([b"5"], [b"chunked"], []) or "")
    assert "other than chunked" in (framing_error([], [b"gzip, chunked"], []) or "")
    assert "other than chunked" in (framing_error([], [b"chunked", b"chunked"], []) or "")
    assert framing_error([b"5"], [], [b"keep-alive, X-Trace"]) is None
    assert framing_error([], [b"Chunked"], [b"keep-alive"]) is None


def test_request_id_is_generated_kept_and_returned(client: TestClient) -> None:
    resp = client.post("/login", json={})
    rid = resp.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    assert resp.json()["headers"]["x-request-id"] == rid  # not the upstream's own
    resp = client.post("/login", json={}, headers={"X-Request-ID": "trace-123"})
    assert resp.headers["x-request-id"] == "trace-123"
    assert resp.json()["headers"]["x-request-id"] == "trace-123"
    resp = client.post("/login", json={}, headers={"X-Request-ID": "bad id\twith junk"})
    assert resp.headers["x-request-id"] != "bad id\twith junk"


def test_hop_by_hop_headers_are_stripped(client: TestClient) -> None:
    resp = client.post(
        "/login",
        json={},
        headers={"Connection": "keep-alive, X-Secret", "X-Secret": "s", "Proxy-Authorization": "p"},
    )
    headers = resp.json()["headers"]
    assert "x-secret" not in headers
    assert "proxy-authorization" not in headers
    assert headers.get("connection") != "keep-alive, X-Secret"


def test_security_headers_on_proxied_and_own_answers(client: TestClient) -> None:
    for resp in (client.post("/login", json={}), client.get("/healthz"), client.get("/nope")):
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["x-frame-options"] == "DENY"
        assert resp.headers.get_list("x-request-id") == [resp.headers["x-request-id"]]


def test_unknown_path_404_and_wrong_method_405_are_problems(client: TestClient) -> None:
    resp = client.get("/no/such/thing")
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/problem+json"
    resp = client.put("/agents")
    assert resp.status_code == 405
    assert resp.headers["allow"] == "GET, HEAD, POST"
    assert resp.json()["status"] == 405
    assert client.get("/realtime/ws").status_code == 426


def test_body_over_the_limit_by_content_length_is_413(
    make_client: Any, factory: TokenFactory
) -> None:
    client = make_client(max_body_bytes=1000)
    resp = client.post("/login", content=b"x" * 1001)
    assert resp.status_code == 413
    assert resp.headers["content-type"] == "application/problem+json"
    assert client.post("/login", content=b"x" * 1000).status_code == 200


def test_body_over_the_limit_while_streaming_is_413(
    make_client: Any, factory: TokenFactory
) -> None:
    client = make_client(max_body_bytes=100_000)

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for _ in range(20):
            yield b"y" * 10_000

    token = factory.token(roles=("supervisor",))
    resp = client.post("/history/upload", content=chunks(), headers=bearer(token))
    assert resp.status_code == 413
    assert resp.json()["status"] == 413


def test_large_upload_streams_through_intact(client: TestClient, factory: TokenFactory) -> None:
    data = os.urandom(3 * 1024 * 1024)
    token = factory.token(roles=("supervisor",))
    resp = client.post(
        "/history/upload", content=data, headers={**bearer(token), "Content-Type": "text/csv"}
    )
    assert resp.status_code == 200
    assert resp.json() == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_large_download_streams_back_intact(client: TestClient, factory: TokenFactory) -> None:
    token = factory.token(roles=("admin",))
    with client.stream("GET", "/reports/service-level", headers=bearer(token)) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/csv")
        lines = b"".join(resp.iter_bytes()).splitlines()
    assert len(lines) == CSV_ROWS + 1
    assert lines[-1] == f"{CSV_ROWS - 1},0.8".encode()


def test_head_is_answered_without_a_body_and_the_pool_stays_usable(
    client: TestClient, factory: TokenFactory
) -> None:
    headers = bearer(factory.token(roles=("supervisor",)))
    head = client.head("/agents/a-1", headers=headers)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(b'{"agent_id":"a-1"}')
    for _ in range(3):  # the pool's connections, before and after, still answer
        assert client.get("/agents/a-1", headers=headers).json() == {"agent_id": "a-1"}


def test_upstream_down_is_503_problem_and_counted(make_client: Any, factory: TokenFactory) -> None:
    client = make_client(scheduling_url=CLOSED)
    resp = client.get("/agents", headers=bearer(factory.token()))
    assert resp.status_code == 503
    assert resp.headers["content-type"] == "application/problem+json"
    assert "scheduling" in resp.json()["detail"]
    metrics = generate_latest().decode()
    assert 'opticall_gateway_upstream_requests_total{service="scheduling",status="error"}' in (
        metrics
    )


def test_upstream_too_slow_is_504_problem(make_client: Any, factory: TokenFactory) -> None:
    client = make_client(upstream_timeout=0.3)
    resp = client.get("/agents/slow", headers=bearer(factory.token()))
    assert resp.status_code == 504
    assert resp.json()["status"] == 504


def test_metrics_label_proxied_requests_by_template(
    client: TestClient, factory: TokenFactory
) -> None:
    client.get("/agents/a-77", headers=bearer(factory.token()))
    metrics = generate_latest().decode()
    assert 'route="/agents/{agent_id}"' in metrics
    assert 'opticall_gateway_upstream_requests_total{service="scheduling",status="200"}' in metrics
    assert 'opticall_gateway_upstream_request_duration_seconds_count{service="scheduling"}' in (
        metrics
    )


def test_cors_off_by_default_and_configurable(client: TestClient, make_client: Any) -> None:
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    assert "access-control-allow-origin" not in client.options("/agents", headers=preflight).headers
    cors = make_client(cors_origins="https://app.example, https://other.example")
    resp = cors.options("/agents", headers=preflight)
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == "https://app.example"


def test_upstream_gets_no_headers_the_client_did_not_send(
    client: TestClient, factory: TokenFactory
) -> None:
    # aiohttp would add Accept, Accept-Encoding (gzip: the answer passes through undecoded),
    # User-Agent and, on bodies and POST/PUT/PATCH, Content-Type: application/octet-stream.
    auth = bearer(factory.token(roles=("supervisor",)))
    for method, content in (("POST", b'{"a":1}'), ("POST", None), ("GET", None)):
        request = client.build_request(method, "/history", content=content, headers=auth)
        for name in ("accept", "accept-encoding", "user-agent", "content-type"):
            request.headers.pop(name, None)
        echo = client.send(request).json()
        sent = set(echo["headers"])
        assert not sent & {"accept", "accept-encoding", "user-agent", "content-type"}, (
            method,
            content,
            echo["headers"],
        )
    kept = client.get("/history", headers={**auth, "Accept": "text/csv", "User-Agent": "ua/1"})
    kept = kept.json()
    assert kept["headers"]["accept"] == "text/csv"
    assert kept["headers"]["user-agent"] == "ua/1"


class _UnaskedAnswerUpstream:
    """A raw HTTP/1.1 server: answers each request, and 0.2 s after the first answer on a
    connection writes a second, unasked answer on it (an upstream out of step)."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        first = True
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if not head:
                return
            body = b'{"connection":%d}' % number
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
            if first:
                first = False
                await asyncio.sleep(0.2)
                bogus = b'{"stolen":"someone else\'s answer"}'
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(bogus), bogus)
                )
                await writer.drain()

    def serve(self) -> None:
        async def main() -> None:
            server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            self._loop = asyncio.get_running_loop()
            self._ready.set()
            async with server:
                await server.serve_forever()

        with contextlib.suppress(asyncio.CancelledError, RuntimeError):
            asyncio.run(main())

    def start(self) -> str:
        threading.Thread(target=self.serve, daemon=True).start()
        assert self._ready.wait(10)
        return f"http://127.0.0.1:{self.port}"


def test_a_pooled_connection_out_of_step_is_closed_not_reused(
    make_client: Any, factory: TokenFactory
) -> None:
    upstream = _UnaskedAnswerUpstream()
    client = make_client(scheduling_url=upstream.start())
    auth = bearer(factory.token())
    assert client.get("/agents", headers=auth).json() == {"connection": 1}
    time.sleep(0.5)  # the unasked answer has reached the pooled, idle connection by now
    second = client.get("/agents", headers=auth)
    assert second.json() == {"connection": 2}  # a new connection, never the buffered answer
    assert "stolen" not in second.text
