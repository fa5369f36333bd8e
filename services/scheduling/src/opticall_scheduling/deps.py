"""FastAPI dependencies of the scheduling routes, as ``Annotated`` aliases.

The getters are ``async`` though they never wait: FastAPI runs sync dependencies in its thread
pool, and a thread hop per dependency per request is measurable on the hot paths.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from opticall_common.security import Principal, Role, TokenVerifier, role_dependency
from opticall_scheduling.config import Settings

STAFF = frozenset({Role.supervisor.value, Role.admin.value})


def _verifier(conn: HTTPConnection) -> TokenVerifier:
    verifier: TokenVerifier = conn.app.state.res.verifier
    return verifier


async def _sessions(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.res.sessions
    return factory


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Staff = Annotated[Principal, Depends(role_dependency(_verifier, Role.supervisor, Role.admin))]
Reader = Annotated[
    Principal, Depends(role_dependency(_verifier, Role.agent, Role.supervisor, Role.admin))
]
Sessions = Annotated[sessionmaker[Session], Depends(_sessions)]
SettingsDep = Annotated[Settings, Depends(_settings)]


def is_staff(principal: Principal) -> bool:
    return principal.has_any(STAFF)
