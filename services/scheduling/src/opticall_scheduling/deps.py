"""FastAPI dependencies of the scheduling routes, as ``Annotated`` aliases.

The getters are ``async`` though they never wait: FastAPI runs sync dependencies in its thread
pool, and a thread hop per dependency per request is measurable on the hot paths.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from opticall_common.security import Principal, Role, TokenVerifier, role_dependency
from opticall_scheduling.config import Settings
from opticall_scheduling.runtime import Runtime


async def _runtime(conn: HTTPConnection) -> Runtime:
    runtime: Runtime = conn.app.state.runtime
    return runtime


def _verifier(conn: HTTPConnection) -> TokenVerifier:
    verifier: TokenVerifier = conn.app.state.runtime.res.verifier
    return verifier


async def _sessions(conn: HTTPConnection) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = conn.app.state.runtime.sessions
    return factory


async def _settings(conn: HTTPConnection) -> Settings:
    settings: Settings = conn.app.state.runtime.settings
    return settings


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
Staff = Annotated[Principal, Depends(role_dependency(_verifier, Role.supervisor, Role.admin))]
Reader = Annotated[
    Principal, Depends(role_dependency(_verifier, Role.agent, Role.supervisor, Role.admin))
]
Sessions = Annotated[sessionmaker[Session], Depends(_sessions)]
SettingsDep = Annotated[Settings, Depends(_settings)]
