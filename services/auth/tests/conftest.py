"""Fixtures for the auth service's unit tests: the real app, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from opticall_auth.config import Settings
from opticall_auth.main import create_app

ADMIN_PASSWORD = "test-root-pw-7319"


@pytest.fixture(scope="session")
def pg_auth_db(database_url: str) -> Iterator[str]:
    """One PostgreSQL database for this session's auth unit tests (emptied per test)."""
    base = make_url(database_url)
    name = f"auth_unit_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for one test: a new SQLite file, or the emptied PostgreSQL one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/auth.db"
        return
    url: str = request.getfixturevalue("pg_auth_db")
    engine = create_engine(url)
    with engine.begin() as conn:
        # The first test migrates it; later ones start from empty tables, not a new database.
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        names = [f'"{t}"' for t in tables if not t.startswith("alembic_version")]
        if names:
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url


@pytest.fixture
def make_settings(tmp_path: Path, db_url: str) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "OPTICALL_ENV": "test",
            "LOG_JSON": False,
            "database_url": db_url,
            "keys_dir": tmp_path / "keys",
            "admin_password": ADMIN_PASSWORD,
            # Cheap hashes: the tests check behaviour, not cost.
            "argon2_time_cost": 1,
            "argon2_memory_kib": 1024,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), client=("10.0.0.1", 40000)) as c:
        yield c


def _login(c: TestClient, username: str, password: str) -> dict[str, Any]:
    resp = c.post("/login", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


@pytest.fixture
def login() -> Callable[[TestClient, str, str], dict[str, Any]]:
    """``login(client, username, password)`` → the token response, asserting a 200."""
    return _login


@pytest.fixture
def admin_headers(client: TestClient) -> dict[str, str]:
    token = _login(client, "admin", ADMIN_PASSWORD)["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def make_user(client: TestClient, admin_headers: dict[str, str]) -> Callable[..., tuple[str, str]]:
    """Create a user through the API; returns (username, password)."""

    def make(roles: tuple[str, ...] = ("agent",), agent_id: str | None = None) -> tuple[str, str]:
        username = f"user-{uuid.uuid4().hex[:8]}"
        password = f"pw-{uuid.uuid4().hex[:12]}"
        body: dict[str, Any] = {"username": username, "password": password, "roles": roles}
        if agent_id:
            body["agent_id"] = agent_id
        resp = client.post("/users", json=body, headers=admin_headers)
        assert resp.status_code == 201, resp.text
        return username, password

    return make
