"""Fixtures for the scheduling service's unit tests: the app in-process, on SQLite or on a
fresh PostgreSQL database, with tokens from ``TokenFactory`` instead of the auth service.

Kafka is pointed at an address where nothing listens: these tests check what the service
stores (outbox rows included); publishing is tested in tests/integration/scheduling.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from opticall_common.db import transaction
from opticall_common.testing import TokenFactory
from opticall_scheduling.config import Settings
from opticall_scheduling.main import create_app
from opticall_scheduling.models import OutboxRecord

NO_KAFKA = "127.0.0.1:9"  # discard port: connections are refused at once


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scheduling.db'}"
        return
    base = make_url(request.getfixturevalue("database_url"))
    name = f"ut_sched_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(admin, name)
        admin.dispose()


def drop_database(admin: Engine, name: str) -> None:
    # An autovacuum worker (a superuser backend that FORCE may not terminate) can be visiting a
    # just-used database for a moment; it leaves quickly, so retry briefly.
    for attempt in range(20):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except (OperationalError, ProgrammingError):
            if attempt == 19:
                raise
            time.sleep(0.5)


def outbox(app: FastAPI, topic: str = "schedule-changes") -> list[dict[str, Any]]:
    """The payloads of the app's outbox rows for ``topic``, in publication order."""
    with transaction(app.state.runtime.sessions) as session:
        rows = session.scalars(
            select(OutboxRecord).where(OutboxRecord.topic == topic).order_by(OutboxRecord.id)
        ).all()
        return [json.loads(r.payload) for r in rows]


def make_settings(db_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "database_url": db_url,
        "kafka_bootstrap_servers": NO_KAFKA,
        "log_json": False,
        "outbox_max_backoff_seconds": 1.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def app(db_url: str) -> FastAPI:
    return create_app(make_settings(db_url))


@pytest.fixture
def client(app: FastAPI, tokens: TokenFactory) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        app.state.runtime.res.verifier.set_keys(tokens.jwks())
        c.headers["Authorization"] = f"Bearer {tokens.token(roles=('supervisor',))}"
        yield c


@pytest.fixture
def as_role(tokens: TokenFactory) -> Callable[..., dict[str, str]]:
    def headers(*roles: str, agent_id: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.token(roles=roles, agent_id=agent_id)}"}

    return headers
