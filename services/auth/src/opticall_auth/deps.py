"""FastAPI dependencies of auth's routes, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy import select
from starlette.requests import HTTPConnection

from opticall_auth.models import User
from opticall_auth.runtime import Runtime
from opticall_common.problems import Problem
from opticall_common.security import Principal, Role, TokenVerifier, role_dependency, unauthorized


def get_runtime(conn: HTTPConnection) -> Runtime:
    runtime: Runtime = conn.app.state.runtime
    return runtime


def _verifier(conn: HTTPConnection) -> TokenVerifier:
    return get_runtime(conn).verifier


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
_TokenAdmin = Annotated[Principal, Depends(role_dependency(_verifier, Role.admin))]
_TokenUser = Annotated[Principal, Depends(role_dependency(_verifier))]


def current_admin(principal: _TokenAdmin, rt: RuntimeDep) -> Principal:
    """The token's admin, if the account still is one (sync: FastAPI runs it in a thread).

    Access tokens live up to 15 minutes; auth, which owns the accounts, does not let an admin
    who was disabled or demoted meanwhile go on administering users with one.
    """
    with rt.sessions() as session:
        row = session.execute(
            select(User.disabled, User.roles).where(User.username == principal.username)
        ).one_or_none()
    if row is None or row.disabled:
        raise unauthorized("this account is disabled")
    if Role.admin.value not in row.roles:
        raise Problem(403, "your role may not use this endpoint")
    return principal


Admin = Annotated[Principal, Depends(current_admin)]
# Any valid access token (the gateway checks the route's roles first).
CurrentUser = _TokenUser
