"""The common problem handlers: a lost database connection is a 503 to retry, not a 500.

Services other than scheduling have no handler of their own for driver errors, so this is what
their clients get while PostgreSQL restarts (the restart itself: ``test_postgres_restart``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError

from opticall_common.app import create_service_app
from opticall_common.settings import ServiceSettings


def app_raising(exc: Exception) -> TestClient:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield

    app = create_service_app(
        "probe", ServiceSettings(OPTICALL_ENV="test"), lifespan=lifespan, checks=dict
    )

    @app.get("/boom")
    def boom() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly")),
        InterfaceError("SELECT 1", {}, Exception("connection already closed")),
    ],
)
def test_disconnects_are_503_with_retry_after(exc: Exception) -> None:
    resp = app_raising(exc).get("/boom")
    assert resp.status_code == 503
    assert resp.headers["retry-after"] == "1"
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert "SELECT" not in resp.text


def test_other_driver_errors_stay_500_without_internals() -> None:
    resp = app_raising(IntegrityError("INSERT secret", {}, Exception("dup"))).get("/boom")
    assert resp.status_code == 500
    assert "secret" not in resp.text


def test_nul_in_text_is_422_and_other_value_errors_500() -> None:
    # psycopg2's own words when a string parameter holds NUL (PostgreSQL text cannot).
    nul = ValueError("A string literal cannot contain NUL (0x00) characters.")
    resp = app_raising(nul).get("/boom")
    assert resp.status_code == 422
    assert "NUL" in resp.json()["detail"]
    other = app_raising(ValueError("secret internals")).get("/boom")
    assert other.status_code == 500
    assert "secret" not in other.text


def test_data_errors_are_422() -> None:
    # GET /users?offset=22393746136032403456 (schemathesis): bigint out of range in PostgreSQL.
    exc = DataError("SELECT ... OFFSET %(o)s", {}, Exception("bigint out of range"))
    resp = app_raising(exc).get("/boom")
    assert resp.status_code == 422
    assert "SELECT" not in resp.text
