"""``/users``: user administration, for the admin role only (checked here and at the gateway)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from opticall_auth.deps import Admin, RuntimeDep
from opticall_auth.models import User
from opticall_auth.runtime import Runtime
from opticall_auth.schemas import UserCreate, UserOut, UserPage, UserPatch
from opticall_auth.tokens import revoke_access_tokens, revoke_user
from opticall_common.db import transaction
from opticall_common.problems import Problem
from opticall_common.security import Role
from opticall_common.text import has_control

router = APIRouter(prefix="/users", tags=["users"])
MAX_OFFSET = 1_000_000
_PROBLEM = {"model": dict[str, Any], "content": {"application/problem+json": {}}}
_ERRORS: dict[int | str, dict[str, Any]] = {s: _PROBLEM for s in (401, 403, 404, 409, 422, 503)}


def user_out(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "roles": list(user.roles),
        "agent_id": user.agent_id,
        "disabled": user.disabled,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def _roles(roles: list[Role]) -> list[str]:
    return sorted({r.value for r in roles})  # stable, without duplicates


def _check_password(rt: Runtime, username: str, password: str) -> None:
    weakness = rt.policy.weakness(password, username)
    if weakness is not None:
        raise Problem(
            422,
            f"password too weak: {weakness}",
            errors=[{"field": "body.password", "message": weakness}],
        )


def _get(session: Session, username: str, *, lock: bool = False) -> User:
    if has_control(username):  # never a stored name (schemas.Username); PostgreSQL refuses NUL
        raise Problem(404, f"no user {username!r}")
    query = select(User).where(User.username == username)
    if lock:  # before any change that revokes tokens: see tokens.revoke_access_tokens
        query = query.with_for_update()
    user = session.scalars(query).one_or_none()
    if user is None:
        raise Problem(404, f"no user {username!r}")
    return user


@router.post("", status_code=201, response_model=UserOut, responses=_ERRORS)
async def create_user(body: UserCreate, rt: RuntimeDep, _: Admin) -> dict[str, Any]:
    _check_password(rt, body.username, body.password)
    password_hash = await rt.limiter.run(rt.passwords.hash, body.password)
    return await run_in_threadpool(_insert, rt, body, password_hash)


def _insert(rt: Runtime, body: UserCreate, password_hash: str) -> dict[str, Any]:
    try:
        with transaction(rt.sessions) as session:
            if session.scalar(select(User.id).where(User.username == body.username)):
                raise Problem(409, f"user {body.username!r} already exists")
            user = User(
                username=body.username,
                password_hash=password_hash,
                roles=_roles(body.roles),
                agent_id=body.agent_id,
                disabled=False,
            )
            session.add(user)
    except IntegrityError as exc:  # created concurrently between the check and the insert
        raise Problem(409, f"user {body.username!r} already exists") from exc
    return user_out(user)


@router.get("", response_model=UserPage, responses=_ERRORS)
def list_users(
    rt: RuntimeDep,
    _: Admin,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    # Bounded so an absurd offset is a 422, not a database integer overflow (500).
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    with rt.sessions() as session:
        total = session.scalar(select(func.count()).select_from(User)) or 0
        users = session.scalars(select(User).order_by(User.username).limit(limit).offset(offset))
        items = [user_out(u) for u in users]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/{username}", response_model=UserOut, responses=_ERRORS)
def get_user(username: str, rt: RuntimeDep, _: Admin) -> dict[str, Any]:
    with rt.sessions() as session:
        return user_out(_get(session, username))


@router.patch("/{username}", response_model=UserOut, responses=_ERRORS)
async def update_user(
    username: str, body: UserPatch, rt: RuntimeDep, admin: Admin
) -> dict[str, Any]:
    if body.password is not None:
        _check_password(rt, username, body.password)
    roles = _roles(body.roles) if body.roles is not None else None
    if username == admin.username and (
        body.disabled or (roles is not None and Role.admin.value not in roles)
    ):
        raise Problem(409, "you cannot disable yourself or remove your own admin role")
    new_hash = None
    if body.password is not None:
        new_hash = await rt.limiter.run(rt.passwords.hash, body.password)
    return await run_in_threadpool(_update, rt, username, body, roles, new_hash)


def _update(
    rt: Runtime, username: str, body: UserPatch, roles: list[str] | None, new_hash: str | None
) -> dict[str, Any]:
    with transaction(rt.sessions) as session:
        user = _get(session, username, lock=True)
        # Access tokens carry roles and agent_id: when they change, the old tokens must go
        # (their holder refreshes and gets the new claims). Re-enabling revokes nothing.
        claims_change = (roles is not None and roles != sorted(user.roles)) or (
            "agent_id" in body.model_fields_set and body.agent_id != user.agent_id
        )
        if roles is not None:
            user.roles = roles
        if "agent_id" in body.model_fields_set:
            user.agent_id = body.agent_id
        if body.disabled is not None:
            user.disabled = body.disabled
        if new_hash is not None:
            user.password_hash = new_hash
        # A disabled user, or one whose password changed, keeps no session alive.
        if body.disabled or new_hash is not None:
            revoke_user(session, user.id)
        if body.disabled or new_hash is not None or claims_change:
            revoke_access_tokens(user)
        session.flush()
        return user_out(user)


@router.delete("/{username}", status_code=204, responses=_ERRORS)
def disable_user(username: str, rt: RuntimeDep, admin: Admin) -> Response:
    """Disables rather than deletes: the user's history (who did what) keeps its name."""
    if username == admin.username:
        raise Problem(409, "you cannot disable yourself")
    with transaction(rt.sessions) as session:
        user = _get(session, username, lock=True)
        user.disabled = True
        revoke_user(session, user.id)
        revoke_access_tokens(user)
    return Response(status_code=204)
