"""Request-scoped access to what the lifespan opened, as ``Annotated`` dependency aliases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from opticall_common.kafka import EventPublisher
from opticall_common.problems import Problem
from opticall_common.resources import Resources
from opticall_common.security import Principal, Role, TokenVerifier, role_dependency
from opticall_realtime.config import Settings
from opticall_realtime.hub import Hub
from opticall_realtime.view import AgentView


@dataclass
class Runtime:
    """Everything the routes need, built in the lifespan and kept on ``app.state.rt``."""

    settings: Settings
    res: Resources
    view: AgentView
    hub: Hub

    @property
    def publisher(self) -> EventPublisher:
        if self.res.publisher is None:
            raise Problem(503, "event publishing is not available")
        return self.res.publisher

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self.res.sessions is None:
            raise Problem(503, "adherence history is disabled on this instance")
        return self.res.sessions


def get_runtime(conn: HTTPConnection) -> Runtime:
    rt: Runtime = conn.app.state.rt
    return rt


def _verifier(conn: HTTPConnection) -> TokenVerifier:
    return get_runtime(conn).res.verifier


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SupervisorDep = Annotated[
    Principal, Depends(role_dependency(_verifier, Role.supervisor, Role.admin))
]
AcdDep = Annotated[Principal, Depends(role_dependency(_verifier, Role.acd, Role.admin))]
SUPERVISOR_ROLES = frozenset({Role.supervisor.value, Role.admin.value})
