"""A signing key rotated in while the suite runs is used everywhere without a restart
(issue #25): auth publishes it, then signs with it; the gateway (two workers here) and every
service accept its tokens, and tokens of the previous key keep working through its grace."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from tests.integration.gateway.extra import Gateway, extra_gateway
from tests.integration.suite import Suite

# auth reads the folder every AUTH_KEYS_RELOAD_SECONDS (10 s by default); the key signs
# ACTIVATE_IN seconds after it is written, by which time every reader has published it.
ACTIVATE_IN = 15
DEADLINE = ACTIVATE_IN + 45


@pytest.fixture(scope="module")
def two_workers(suite: Suite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with extra_gateway(suite, tmp_path_factory.mktemp("rotation"), GATEWAY_WORKERS="2") as gw:
        yield gw


def _kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def _accepted(base: str, token: str, path: str) -> int:
    return httpx.get(
        base + path, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).status_code


def test_a_rotated_key_is_picked_up_without_a_restart(suite: Suite, two_workers: Gateway) -> None:
    old_token = suite.admin_token()
    old_kid = _kid(old_token)
    # Every verifier has the old key cached, and a token of it verified.
    assert _accepted(two_workers.url, old_token, "/protected") == 200
    keys_dir = Path(suite.env["AUTH_KEYS_DIR"])
    subprocess.run(
        [sys.executable, "-m", "opticall_auth.keys", "rotate", "--dir", str(keys_dir),
         "--activate-in", str(ACTIVATE_IN)],
        check=True, capture_output=True,
    )  # fmt: skip
    # Published before it signs.
    deadline = time.monotonic() + DEADLINE
    while True:
        kids = [
            k["kid"] for k in httpx.get(suite.gateway + "/.well-known/jwks.json").json()["keys"]
        ]
        if len(kids) == 2:
            break
        assert time.monotonic() < deadline, f"the new key was not published: {kids}"
        time.sleep(1)
    new_kid = next(k for k in kids if k != old_kid)
    while True:
        new_token = suite.admin_token()
        if _kid(new_token) == new_kid:
            break
        assert _kid(new_token) == old_kid
        assert time.monotonic() < deadline, "auth did not start signing with the new key"
        time.sleep(1)
    # Everywhere, without a restart: both gateways (every worker of the two-worker one: each
    # request is a new connection, which either worker may take) and every service.
    for _ in range(12):
        assert _accepted(two_workers.url, new_token, "/protected") == 200
    assert _accepted(suite.gateway, new_token, "/protected") == 200
    for service, path in (
        ("scheduling", "/agents"),
        ("forecasting", "/forecasts"),
        ("realtime", "/realtime"),
        ("auth", "/users"),
    ):
        assert _accepted(suite.stack.url(service), new_token, path) == 200, service
    # The old key's tokens live on through its grace period.
    assert _accepted(suite.gateway, old_token, "/protected") == 200
    assert _accepted(two_workers.url, old_token, "/protected") == 200
