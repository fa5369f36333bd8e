"""Login throttling: per (user, client), per client, per user; the address the gateway signs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from opticall_auth.config import Settings
from opticall_auth.main import MIGRATIONS, VERSION_TABLE, create_app
from opticall_auth.models import utcnow
from opticall_auth.throttle import ForwardedClient, Limits, LoginThrottle
from opticall_common.db import run_migrations
from opticall_common.security import (
    DEVELOPMENT_FORWARDED_SECRET,
    FORWARDED_SIGNATURE_HEADER,
    sign_forwarded,
)

MakeUser = Callable[..., tuple[str, str]]
SECRET = DEVELOPMENT_FORWARDED_SECRET.encode()  # the test settings' (OPTICALL_ENV=test)


def _attempt(c: TestClient, username: str, password: str, **kw: Any) -> int:
    return c.post("/login", json={"username": username, "password": password}, **kw).status_code


def _peer(client: TestClient, host: str) -> TestClient:
    """Another client of the same (started) app, seen from another address.

    Not used as a context manager: that would run the app's lifespan a second time.
    """
    return TestClient(client.app, client=(host, 40001))


def test_brute_force_is_throttled_while_the_user_logs_in_from_another_client(
    client: TestClient, make_user: MakeUser
) -> None:
    username, password = make_user()
    for _ in range(5):
        assert _attempt(client, username, "wrong-guess") == 401
    resp = client.post("/login", json={"username": username, "password": "wrong-guess"})
    assert resp.status_code == 429
    assert resp.headers["content-type"] == "application/problem+json"
    assert 1 <= int(resp.headers["Retry-After"]) <= 300
    # Blocked even with the right password: the attacker learns nothing more from here...
    assert _attempt(client, username, password) == 429
    # ...while the real user, on their own machine, logs in.
    assert _attempt(_peer(client, "10.0.0.2"), username, password) == 200


def test_a_client_spraying_usernames_is_blocked_for_all_of_them(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(login_max_failures_per_client=4)
    with TestClient(create_app(settings), client=("10.0.0.9", 1)) as c:
        for n in range(4):
            assert _attempt(c, f"victim{n}", "guess-guess") == 401
        assert _attempt(c, "admin", "anything") == 429
        assert _attempt(_peer(c, "10.0.0.10"), "admin", "wrong-again") == 401


def test_a_distributed_attack_on_one_user_blocks_that_user(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(login_max_failures_per_user=6)
    with TestClient(create_app(settings), client=("10.1.0.1", 1)) as c:
        for n in range(6):
            assert _attempt(_peer(c, f"10.1.0.{n + 2}"), "admin", "guess-guess") == 401
        assert _attempt(_peer(c, "10.1.0.200"), "admin", "another-guess") == 429


def test_success_clears_the_pairs_failures(client: TestClient, make_user: MakeUser) -> None:
    username, password = make_user()
    for _ in range(4):
        assert _attempt(client, username, "typo-typo") == 401
    assert _attempt(client, username, password) == 200
    for _ in range(4):
        assert _attempt(client, username, "typo-typo") == 401
    assert _attempt(client, username, password) == 200


def _signed(address: str) -> dict[str, str]:
    """The headers the gateway sends auth for a client at ``address``."""
    return {
        "X-Forwarded-For": address,
        FORWARDED_SIGNATURE_HEADER: sign_forwarded(SECRET, address),
    }


def test_forwarded_for_is_believed_only_with_the_gateways_signature(
    client: TestClient, make_user: MakeUser
) -> None:
    username, password = make_user()
    gateway = _peer(client, "127.0.0.1")
    for _ in range(5):
        assert _attempt(gateway, username, "bad-guess", headers=_signed("203.0.113.5")) == 401
    assert _attempt(gateway, username, password, headers=_signed("203.0.113.5")) == 429
    # Another client behind the same gateway is not blocked.
    assert _attempt(gateway, username, password, headers=_signed("203.0.113.6")) == 200
    # An unsigned (or wrongly signed) X-Forwarded-For is ignored, even from the gateway's
    # own address (issue #27: smuggled through the gateway's connection): the peer counts.
    forged = {"X-Forwarded-For": "198.51.100.1", FORWARDED_SIGNATURE_HEADER: "0" * 64}
    for _ in range(5):
        assert _attempt(gateway, username, "bad-guess", headers=forged) == 401
    assert _attempt(gateway, username, password, headers=_signed("127.0.0.1")) == 429
    # The blocked address cannot escape by claiming another one when talking to us directly.
    other = {"X-Forwarded-For": "203.0.113.6"}
    assert _attempt(_peer(client, "203.0.113.5"), username, password, headers=other) == 429


def test_forwarded_client_resolution() -> None:
    forwarded = ForwardedClient(SECRET)
    signature = sign_forwarded(SECRET, "198.51.100.7")
    assert forwarded.client("10.2.3.4", "198.51.100.7", signature) == "198.51.100.7"
    assert forwarded.client("10.2.3.4", "198.51.100.7", None) == "10.2.3.4"
    assert forwarded.client("10.2.3.4", "198.51.100.8", signature) == "10.2.3.4"
    # A list is never what the gateway states, whatever its signature.
    assert forwarded.client("10.2.3.4", "1.1.1.1, 198.51.100.7", signature) == "10.2.3.4"
    other = sign_forwarded(b"another secret", "198.51.100.7")
    assert forwarded.client("10.2.3.4", "198.51.100.7", other) == "10.2.3.4"
    # IPv6 clients are keyed by their /64; IPv4-mapped addresses as IPv4.
    v6 = "2001:db8:1:2:3:4:5:6"
    assert forwarded.client("::1", v6, sign_forwarded(SECRET, v6)) == "2001:db8:1:2::/64"
    assert forwarded.client("::ffff:192.0.2.1", None, None) == "192.0.2.1"
    assert forwarded.client(None, None, None) == "unknown"


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    run_migrations(MIGRATIONS, db_url, VERSION_TABLE)
    engine = create_engine(db_url)
    with Session(engine) as s:
        yield s
    engine.dispose()


def test_sliding_window_and_retry_after(session: Session) -> None:
    throttle = LoginThrottle(
        Limits(window_seconds=300, per_user_client=3, per_client=99, per_user=99)
    )
    t0 = utcnow()
    for s in (0, 10, 20):
        throttle.record_failure(session, "bob", "c1", t0 + timedelta(seconds=s))
    # Blocked until the oldest of the three leaves the window.
    assert throttle.retry_after(session, "bob", "c1", t0 + timedelta(seconds=30)) == 270
    assert throttle.retry_after(session, "bob", "c2", t0 + timedelta(seconds=30)) == 0
    assert throttle.retry_after(session, "bob", "c1", t0 + timedelta(seconds=301)) == 0
    # A fourth failure later: the block lasts until enough failures have aged out.
    throttle.record_failure(session, "bob", "c1", t0 + timedelta(seconds=25))
    assert throttle.retry_after(session, "bob", "c1", t0 + timedelta(seconds=30)) == 280


def test_failures_older_than_the_window_are_pruned(session: Session) -> None:
    from sqlalchemy import func, select

    from opticall_auth.models import LoginFailure

    throttle = LoginThrottle(Limits(window_seconds=60, per_user_client=3, per_client=9, per_user=9))
    t0 = utcnow()
    throttle.record_failure(session, "bob", "c1", t0)
    throttle.record_failure(session, "bob", "c1", t0 + timedelta(seconds=120))
    assert session.scalar(select(func.count()).select_from(LoginFailure)) == 1
