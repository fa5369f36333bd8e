"""Fixtures every test can use: the real Kafka broker and PostgreSQL server.

Addresses given in the environment win (``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL``); else a
Docker engine, if one answers, runs them through testcontainers; else the project's own local
launchers (``scripts/kafka.sh``, ``scripts/postgres.sh``) start them, as ``make test`` does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


def _docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _launcher_env(script: str) -> dict[str, str]:
    subprocess.run([str(ROOT / "scripts" / script), "start"], check=True)
    out = subprocess.run(
        [str(ROOT / "scripts" / script), "env"], check=True, capture_output=True, text=True
    ).stdout
    env = {}
    for line in out.splitlines():
        if line.startswith("export ") and "=" in line:
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value.strip("'\"")
    return env


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    if url := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield url
    elif _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
    else:
        yield _launcher_env("kafka.sh")["KAFKA_BOOTSTRAP_SERVERS"]


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    if url := os.environ.get("DATABASE_URL"):
        yield url
    elif _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver="psycopg2") as pg:
            yield pg.get_connection_url()
    else:
        yield _launcher_env("postgres.sh")["DATABASE_URL"]


@pytest.fixture
def unique() -> str:
    """A short unique token for topic, group, id and schema names in one test."""
    return uuid.uuid4().hex[:10]
