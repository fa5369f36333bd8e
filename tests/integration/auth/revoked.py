"""Waiting for a revocation to reach the verifiers: shared by the revocation and session tests."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from tests.integration.suite import Suite

# The suite polls the revocation list every second; this leaves room for a loaded machine.
DEADLINE_SECONDS = 15.0


def get(base_url: str, token: str, path: str = "/agents") -> httpx.Response:
    return httpx.get(base_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"{what} within {DEADLINE_SECONDS} s"
        time.sleep(0.2)


def revoked_everywhere(suite: Suite, token: str) -> None:
    """401 problem+json "token revoked" for ``token`` at the gateway and at scheduling."""
    for base in (suite.gateway, suite.stack.url("scheduling")):
        eventually(lambda b=base: get(b, token).status_code == 401, f"401 at {base}")
        resp = get(base, token)
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["status"] == 401 and resp.json()["detail"] == "token revoked"
