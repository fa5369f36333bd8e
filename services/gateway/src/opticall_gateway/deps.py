"""FastAPI dependencies of the gateway's own routes, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from opticall_common.security import Principal, TokenVerifier, role_dependency
from opticall_gateway.runtime import Runtime


def get_runtime(conn: HTTPConnection) -> Runtime:
    runtime: Runtime = conn.app.state.runtime
    return runtime


def _verifier(conn: HTTPConnection) -> TokenVerifier:
    return get_runtime(conn).verifier


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
CurrentUser = Annotated[Principal, Depends(role_dependency(_verifier))]
