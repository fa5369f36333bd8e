"""Request smuggling through the real gateway (issue #27 section 1), over raw sockets.

The attack: a request whose framing the gateway and the service read differently, so that
its body reaches the service as a second request on the gateway's shared connection, where
internal routes answer (auth's revocation list) and answers desynchronise (one client gets
another's tokens). Every variant here must end with no internal route answering and no
answer crossing to another client.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import uuid
from urllib.parse import urlsplit

import jwt
import pytest

from tests.integration.suite import Suite

# The issue's exact bytes: Connection names Content-Length, the body is a request.
ISSUE = (
    b"POST /logout HTTP/1.1\r\n"
    b"Host: x\r\n"
    b"Content-Type: application/json\r\n"
    b"Connection: keep-alive, content-length\r\n"
    b"Content-Length: 53\r\n"
    b"\r\n"
    b"GET /.well-known/revocations HTTP/1.1\r\n"
    b"Host: auth\r\n"
    b"\r\n"
    b"GET /.well-known/jwks.json HTTP/1.1\r\n"
    b"Host: x\r\n"
    b"Connection: close\r\n"
    b"\r\n"
)
SMUGGLED = b"GET /.well-known/revocations HTTP/1.1\r\nHost: auth\r\n\r\n"
TAIL = b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def _chunked(body: bytes) -> bytes:
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)


VARIANTS = {
    "connection-transfer-encoding": (
        b"POST /logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Connection: keep-alive, transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n"
        + _chunked(SMUGGLED)
        + TAIL
    ),
    "connection-host": (
        b"POST /logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Connection: host\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED) + SMUGGLED + TAIL
    ),
    "chunked-and-content-length": (
        b"POST /logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" + _chunked(SMUGGLED) + TAIL
    ),
    "two-content-lengths": (
        b"POST /logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 0\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED) + SMUGGLED + TAIL
    ),
    "obs-fold-transfer-encoding": (
        b"POST /logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 4\r\nTransfer-Encoding:\r\n chunked\r\n\r\n" + _chunked(SMUGGLED) + TAIL
    ),
    "obs-fold-connection": (
        b"POST /logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Connection: keep-alive,\r\n content-length\r\nContent-Length: %d\r\n\r\n"
        % len(SMUGGLED)
        + SMUGGLED
        + TAIL
    ),
    "transfer-encoding-not-chunked": (
        b"POST /logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: gzip, chunked\r\n\r\n" + _chunked(SMUGGLED) + TAIL
    ),
}


def _address(suite: Suite) -> tuple[str, int]:
    url = urlsplit(suite.gateway)
    assert url.hostname and url.port
    return url.hostname, url.port


def _raw(suite: Suite, data: bytes, timeout: float = 15) -> bytes:
    """Send ``data`` on one connection; everything the gateway answers until it closes."""
    with socket.create_connection(_address(suite), timeout=timeout) as sock:
        # The gateway may close as soon as it has refused the first request.
        with contextlib.suppress(OSError):
            sock.sendall(data)
        out = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            out += chunk
    return out


def _statuses(answer: bytes) -> list[int]:
    # A status line follows the previous answer's body directly (no CRLF after a body).
    return [int(code) for code in re.findall(rb"HTTP/1\.[01] (\d{3}) ", answer)]


def _no_internal_answer(answer: bytes) -> None:
    assert b'"revocations"' not in answer and b"generated_at" not in answer, answer[:2000]


def test_the_issues_exact_bytes_are_refused(suite: Suite) -> None:
    answer = _raw(suite, ISSUE)
    _no_internal_answer(answer)
    # One answer, a 400, and the connection closed: nothing after it was read as a request.
    assert _statuses(answer) == [400], answer[:2000]
    assert b"framing" in answer


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_variant_is_refused_or_read_as_one_request(suite: Suite, name: str) -> None:
    answer = _raw(suite, VARIANTS[name])
    _no_internal_answer(answer)
    statuses = _statuses(answer)
    assert statuses and statuses[0] == 400, (name, answer[:2000])
    assert len(statuses) == 1, (name, statuses)


def test_pipelined_requests_get_their_own_answers_in_order(suite: Suite) -> None:
    body = b'{"refresh_token":"' + SMUGGLED.replace(b"\r\n", b" ") + b'"}'
    answer = _raw(
        suite,
        b"POST /logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n"
        % len(body)
        + body
        + SMUGGLED  # pipelined, not smuggled: the gateway's own table answers it (404)
        + TAIL,
    )
    _no_internal_answer(answer)
    assert _statuses(answer) == [204, 404, 200], answer[:3000]
    assert b'"keys"' in answer  # the JWKS, answered third


def _new_user(suite: Suite) -> tuple[str, str]:
    username = f"smug-{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    with suite.client(suite.admin_token()) as c:
        resp = c.post(
            "/users", json={"username": username, "password": password, "roles": ["agent"]}
        )
    assert resp.status_code == 201, resp.text
    return username, password


def test_no_answer_crosses_to_another_client_under_attack(suite: Suite) -> None:
    users = [_new_user(suite) for _ in range(4)]
    stop = threading.Event()
    wrong: list[str] = []
    errors: list[BaseException] = []

    def attacker() -> None:
        payloads = [ISSUE, *VARIANTS.values()]
        i = 0
        try:
            while not stop.is_set():
                _no_internal_answer(_raw(suite, payloads[i % len(payloads)]))
                i += 1
        except BaseException as exc:
            errors.append(exc)

    def victim(username: str, password: str) -> None:
        try:
            with suite.client() as c:  # one keep-alive connection, many logins
                for _ in range(8):
                    resp = c.post("/login", json={"username": username, "password": password})
                    assert resp.status_code == 200, resp.text
                    sub = jwt.decode(
                        resp.json()["access_token"], options={"verify_signature": False}
                    )
                    if sub["sub"] != username:
                        wrong.append(f"{username} got {sub['sub']}'s token")
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)

    attack = threading.Thread(target=attacker, daemon=True)
    attack.start()
    victims = [threading.Thread(target=victim, args=user) for user in users]
    for t in victims:
        t.start()
    for t in victims:
        t.join(timeout=180)
    stop.set()
    attack.join(timeout=30)
    assert not errors, errors
    assert wrong == []
