"""Scheduling integration fixtures: an authenticated client through the gateway."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.suite import Suite


@pytest.fixture(scope="session")
def admin_token(suite: Suite) -> str:
    return suite.admin_token()


@pytest.fixture(scope="session")
def base_url(suite: Suite, admin_token: str) -> str:
    """The gateway; the scheduling service directly only while the gateway cannot route yet.

    Every test goes through the same client either way: once the gateway proxies /agents the
    direct path is no longer taken.
    """
    resp = httpx.get(
        suite.gateway + "/agents",
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=10,
    )
    if resp.status_code == 200:
        return suite.gateway
    return str(suite.stack.url("scheduling"))


@pytest.fixture
def staff(base_url: str, admin_token: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=30
    ) as client:
        yield client


@pytest.fixture
def agent_id(staff: httpx.Client) -> str:
    """A fresh agent (tests share one database, so ids are unique per test)."""
    ident = f"ag-{uuid.uuid4().hex[:10]}"
    resp = staff.post("/agents", json={"agent_id": ident, "name": "Test Agent"})
    assert resp.status_code == 201, resp.text
    return ident
