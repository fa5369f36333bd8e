"""The whole suite, as real processes, against real Kafka and PostgreSQL.

Shared by tests/integration and tests/browser: one stack per pytest session serves both.

One stack per test session: each service gets a fresh PostgreSQL database, every topic a
session-unique prefix, so runs never see each other's data (nor that of ``make run``).
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from opticall_common.testing import drop_topics
from tests.integration.suite import Suite

ROOT = Path(__file__).resolve().parents[1]

_spec = importlib.util.spec_from_file_location("devstack", ROOT / "scripts" / "devstack.py")
assert _spec and _spec.loader
devstack = importlib.util.module_from_spec(_spec)
sys.modules["devstack"] = devstack
_spec.loader.exec_module(devstack)

DB_SERVICES = ("auth", "scheduling", "forecasting", "realtime")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_databases(base_url: str, names: list[str]) -> dict[str, str]:
    """One fresh database per name on the server of ``base_url``; returns their URLs."""
    url = make_url(base_url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    out = {}
    with engine.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            out[name] = url.set(database=name).render_as_string(hide_password=False)
    engine.dispose()
    return out


def drop_databases(base_url: str, names: list[str]) -> None:
    engine = create_engine(make_url(base_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name in names:
            # FORCE cannot end an autovacuum worker that is visiting the database (it fails
            # with "insufficient privilege" for a non-superuser): wait for it and try again.
            for attempt in range(10):
                try:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    break
                except DBAPIError:
                    if attempt == 9:
                        raise
                    time.sleep(0.5)
    engine.dispose()


@pytest.fixture
def kafka_prefix(kafka_bootstrap: str, unique: str) -> Iterator[str]:
    """A topic prefix unique to one test; its topics are deleted when the test ends."""
    prefix = f"t{unique}."
    yield prefix
    drop_topics(kafka_bootstrap, prefix)


def suite_env(
    kafka_bootstrap: str,
    database_urls: dict[str, str],
    prefix: str,
    admin_password: str,
    keys_dir: Path,
) -> dict[str, str]:
    """The environment of a test stack: this process's, minus ports and the shared database URL,
    plus the given broker, one database per service (``database_urls`` keyed by service) and a
    topic prefix."""
    env = {
        "OPTICALL_ENV": "test",
        "LOG_JSON": "true",
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_PREFIX": prefix,
        "AUTH_ADMIN_PASSWORD": admin_password,
        "AUTH_KEYS_DIR": str(keys_dir),
        "REVOCATION_POLL_SECONDS": "1",  # revocation tests wait for a poll or two
        **{f"{svc.upper()}_DATABASE_URL": database_urls[svc] for svc in DB_SERVICES},
    }
    base_env = {k: v for k, v in os.environ.items() if not k.endswith("_PORT")}
    base_env.pop("DATABASE_URL", None)
    base_env.update(env)
    return base_env


@contextmanager
def running_suite(
    kafka_bootstrap: str,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Suite]:
    """A whole stack on free ports with fresh databases on the server of ``database_url``."""
    run = uuid.uuid4().hex[:8]
    names = [f"it_{run}_{svc}" for svc in DB_SERVICES]
    urls = create_databases(database_url, names)
    admin_password = secrets.token_urlsafe(16)
    prefix = f"it{run}."
    by_service = {svc: urls[f"it_{run}_{svc}"] for svc in DB_SERVICES}
    base_env = suite_env(
        kafka_bootstrap, by_service, prefix, admin_password, tmp_path_factory.mktemp("keys")
    )
    base_env.update(extra_env or {})
    # The gateway serves /metrics on a port of its own (never the public one).
    base_env.setdefault("GATEWAY_METRICS_PORT", str(free_port()))
    ports = {svc: free_port() for svc in devstack.SERVICES}
    log_dir = tmp_path_factory.mktemp("logs")
    stack = devstack.start_stack(ports=ports, env=base_env, log_dir=log_dir)
    try:
        yield Suite(
            stack=stack,
            env=base_env,
            admin_password=admin_password,
            topic_prefix=prefix,
            database_urls=urls,
        )
    finally:
        stack.stop()
        drop_topics(kafka_bootstrap, prefix)
        drop_databases(database_url, names)


@pytest.fixture(scope="session")
def suite(
    kafka_bootstrap: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Suite]:
    with running_suite(kafka_bootstrap, database_url, tmp_path_factory) as running:
        yield running
