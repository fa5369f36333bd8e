"""A login burst through the gateway: every answer is a 200 or a 503 with Retry-After, at once.

Before the hashing limiter, 95 of 200 Locust logins ended in the gateway's 504 after 60 s:
argon2 hashes queued without bound behind each other. Now auth runs a few at a time and sheds
the rest with 503 + Retry-After as soon as their wait would exceed the budget.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.suite import Suite

GATEWAY_TIMEOUT = 60.0  # GATEWAY_UPSTREAM_TIMEOUT's default: any slower answer was a 504


def _users(suite: Suite, count: int) -> list[tuple[str, str]]:
    users = []
    with suite.client(suite.admin_token()) as c:
        for _ in range(count):
            username, password = f"burst-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(12)
            body = {"username": username, "password": password, "roles": ["agent"]}
            resp = c.post("/users", json=body)
            assert resp.status_code == 201, resp.text
            users.append((username, password))
    return users


async def _burst(suite: Suite, logins: list[tuple[str, str]]) -> list[tuple[httpx.Response, float]]:
    # A client timeout at the gateway's: a request that hangs that long fails the test itself.
    limits = httpx.Limits(max_connections=len(logins))
    async with httpx.AsyncClient(
        base_url=suite.gateway, timeout=GATEWAY_TIMEOUT, limits=limits
    ) as http:

        async def one(username: str, password: str) -> tuple[httpx.Response, float]:
            started = time.monotonic()
            resp = await http.post("/login", json={"username": username, "password": password})
            return resp, time.monotonic() - started

        return await asyncio.gather(*(one(u, p) for u, p in logins))


def _check(answers: list[tuple[httpx.Response, float]]) -> tuple[int, int]:
    """Each answer is a 200 or a 503 problem with Retry-After; returns (ok, shed) counts."""
    ok = shed = 0
    for resp, seconds in answers:
        assert seconds < GATEWAY_TIMEOUT
        if resp.status_code == 200:
            assert resp.json()["access_token"]
            ok += 1
            continue
        assert resp.status_code == 503, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert int(resp.headers["Retry-After"]) >= 1, resp.headers
        shed += 1
    return ok, shed


def _restart_auth(suite: Suite, extra_env: dict[str, str] | None = None) -> None:
    suite.restart("auth", extra_env)
    # The gateway's pooled connections to the old process are dead: wait until it is through.
    deadline = time.monotonic() + 30
    with suite.client() as c:
        while c.get("/.well-known/jwks.json").status_code != 200:
            assert time.monotonic() < deadline, "the gateway never reached the new auth"
            time.sleep(0.2)


def test_sixty_concurrent_logins_are_each_200_or_503_with_retry_after(suite: Suite) -> None:
    users = _users(suite, 6)
    logins = [users[i % len(users)] for i in range(60)]
    ok, shed = _check(asyncio.run(_burst(suite, logins)))
    assert ok + shed == 60
    assert ok >= 1


@pytest.fixture
def starved_auth(suite: Suite) -> Iterator[None]:
    """Auth with one hashing slot and a 0.1 s wait budget, so a burst must be shed."""
    _restart_auth(suite, {"AUTH_HASH_CONCURRENCY": "1", "AUTH_HASH_MAX_WAIT_SECONDS": "0.1"})
    try:
        yield
    finally:
        _restart_auth(suite)


def test_a_burst_beyond_capacity_is_shed_with_503_and_retry_after(
    suite: Suite, starved_auth: None
) -> None:
    users = _users(suite, 4)
    logins = [users[i % len(users)] for i in range(60)]
    ok, shed = _check(asyncio.run(_burst(suite, logins)))
    assert ok >= 1 and shed >= 1, (ok, shed)
    # Shed logins were never counted as failures: retried after Retry-After, they succeed.
    for username, password in users:
        deadline = time.monotonic() + 30
        with suite.client() as c:
            while True:
                resp = c.post("/login", json={"username": username, "password": password})
                if resp.status_code != 503:
                    break
                assert time.monotonic() < deadline
                time.sleep(int(resp.headers["Retry-After"]))
        assert resp.status_code == 200, resp.text
    # Auth's own count of shed hashes (the gateway's 503s would not appear here).
    metrics = httpx.get(suite.stack.url("auth") + "/metrics", timeout=10).text
    rejected = [ln for ln in metrics.splitlines() if ln.startswith("opticall_auth_hash_rejected")]
    assert float(rejected[0].rsplit(" ", 1)[1]) >= shed
