"""Login under load (503 with Retry-After, never a hang) and hashes upgraded at login."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from argon2 import extract_parameters
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from opticall_auth.config import Settings
from opticall_auth.main import create_app
from opticall_auth.models import User
from opticall_auth.runtime import Runtime

from .conftest import ADMIN_PASSWORD

Login = Callable[[TestClient, str, str], dict[str, Any]]


def _metric(client: TestClient, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _stored_hash(db_url: str, username: str) -> str:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return str(conn.scalar(select(User.password_hash).where(User.username == username)))
    finally:
        engine.dispose()


def test_saturated_hashing_answers_503_with_retry_after_and_recovers(
    make_settings: Callable[..., Settings], login: Login
) -> None:
    settings = make_settings(hash_concurrency=1, hash_max_wait_seconds=0.05)
    gate = threading.Event()
    with TestClient(create_app(settings), client=("10.0.0.2", 40000)) as client:
        ctx: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        assert client.portal is not None
        # Another login's hash holds the only slot for longer than the wait budget.
        busy = client.portal.start_task_soon(ctx.limiter.run, gate.wait, 30)
        try:
            overloaded = 'opticall_auth_logins_total{outcome="overloaded"}'
            before = _metric(client, overloaded)
            # More attempts than the throttle's per-pair limit (5): none may count as failures.
            answers = [
                client.post("/login", json={"username": "admin", "password": ADMIN_PASSWORD})
                for _ in range(settings.login_max_failures_per_user_client + 2)
            ]
            unknown = client.post("/login", json={"username": "nobody", "password": "x-y-z-w"})
        finally:
            gate.set()
        assert busy.result(timeout=30) is True
        for resp in [*answers, unknown]:
            assert resp.status_code == 503, resp.text
            assert resp.headers["content-type"].startswith("application/problem+json")
            assert int(resp.headers["Retry-After"]) >= 1
            assert resp.json()["retry_after"] == int(resp.headers["Retry-After"])
        assert _metric(client, overloaded) == before + len(answers) + 1
        assert ctx.limiter.in_use == 0
        login(client, "admin", ADMIN_PASSWORD)  # capacity is back and nothing was throttled


def test_old_parameter_hashes_are_upgraded_at_the_next_good_login(
    make_settings: Callable[..., Settings], db_url: str, login: Login
) -> None:
    old = make_settings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=2)
    with TestClient(create_app(old)) as client:
        admin = {
            "Authorization": f"Bearer {login(client, 'admin', ADMIN_PASSWORD)['access_token']}"
        }
        body = {"username": "migrant", "password": "moved-in-passphrase-9", "roles": ["agent"]}
        assert client.post("/users", json=body, headers=admin).status_code == 201
    before = _stored_hash(db_url, "migrant")
    assert extract_parameters(before).parallelism == 2

    new = make_settings(argon2_time_cost=2, argon2_memory_kib=2048, argon2_parallelism=1)
    with TestClient(create_app(new)) as client:
        bad = client.post("/login", json={"username": "migrant", "password": "wrong-pw-1"})
        assert bad.status_code == 401
        assert _stored_hash(db_url, "migrant") == before  # only a proven password rehashes
        login(client, "migrant", "moved-in-passphrase-9")
        upgraded = _stored_hash(db_url, "migrant")
        params = extract_parameters(upgraded)
        assert (params.time_cost, params.memory_cost, params.parallelism) == (2, 2048, 1)
        login(client, "migrant", "moved-in-passphrase-9")  # the new hash verifies...
        assert _stored_hash(db_url, "migrant") == upgraded  # ...and is not rehashed again
        rehashed = 'opticall_auth_rehashes_total{outcome="done"}'
        assert _metric(client, rehashed) >= 1
