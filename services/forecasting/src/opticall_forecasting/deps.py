"""FastAPI dependencies of the forecasting routes, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from opticall_common.kafka import EventPublisher
from opticall_common.problems import Problem
from opticall_common.security import Principal, Role, TokenVerifier, role_dependency
from opticall_forecasting.config import Settings
from opticall_forecasting.pool import ModelPool
from opticall_forecasting.runtime import Runtime
from opticall_forecasting.series import SeriesError


def _runtime(conn: HTTPConnection) -> Runtime:
    runtime: Runtime = conn.app.state.runtime
    return runtime


def _verifier(conn: HTTPConnection) -> TokenVerifier:
    return _runtime(conn).resources.verifier


def _sessions(request: Request) -> sessionmaker[Session]:
    return _runtime(request).sessions


def _settings(request: Request) -> Settings:
    return _runtime(request).settings


def _pool(request: Request) -> ModelPool:
    return _runtime(request).pool


def _publisher(request: Request) -> EventPublisher:
    return _runtime(request).publisher


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
Staff = Annotated[Principal, Depends(role_dependency(_verifier, Role.supervisor, Role.admin))]
Sessions = Annotated[sessionmaker[Session], Depends(_sessions)]
SettingsDep = Annotated[Settings, Depends(_settings)]
Pool = Annotated[ModelPool, Depends(_pool)]
Publisher = Annotated[EventPublisher, Depends(_publisher)]


def unprocessable(exc: SeriesError) -> Problem:
    """A 422 problem naming the field, in the same shape as request validation errors."""
    return Problem(
        422,
        f"Invalid request: {exc.field}: {exc.message}",
        errors=[{"field": exc.field, "message": exc.message, "type": "value_error"}],
    )
