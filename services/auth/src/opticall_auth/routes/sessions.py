"""``/login``, ``/refresh``, ``/logout``: the public, token-less endpoints of a session.

``/login`` is async: its argon2 verify goes through the limiter (``hash_limiter.py``), and its
database calls run in worker threads. The others are sync: FastAPI runs them in worker threads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from opticall_auth.deps import RuntimeDep
from opticall_auth.hash_limiter import Overloaded
from opticall_auth.metrics import LOGINS, REHASHES
from opticall_auth.models import User
from opticall_auth.runtime import Runtime
from opticall_auth.schemas import LoginRequest, RefreshRequest, TokenResponse
from opticall_auth.tokens import InvalidRefreshToken, TokenPair, revoke_by_token
from opticall_common.db import transaction
from opticall_common.events import utcnow
from opticall_common.problems import Problem
from opticall_common.security import FORWARDED_SIGNATURE_HEADER

router = APIRouter(tags=["auth"])

BAD_CREDENTIALS = "invalid username or password"
_PROBLEM = {"model": dict[str, Any], "content": {"application/problem+json": {}}}


@router.post(
    "/login",
    response_model=TokenResponse,
    summary="Exchange a username and password for an access and a refresh token",
    description="Answers 503 with Retry-After when too many logins are being checked at once.",
    responses={401: _PROBLEM, 422: _PROBLEM, 429: _PROBLEM, 503: _PROBLEM},
)
async def login(body: LoginRequest, request: Request, rt: RuntimeDep) -> dict[str, Any]:
    # Async so the argon2 work goes through the limiter; database calls run in worker threads.
    client = rt.forwarded.client(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        request.headers.get(FORWARDED_SIGNATURE_HEADER),
    )
    username = body.username
    now = utcnow()
    wait, user = await run_in_threadpool(_lookup, rt, username, client, now)
    if wait:
        LOGINS.labels("throttled").inc()
        raise Problem(
            429,
            "too many failed logins; try again later",
            headers={"Retry-After": str(wait)},
            retry_after=wait,
        )
    # Verified outside any transaction: no connection is held during the hash.
    try:
        matches = await rt.limiter.run(
            rt.passwords.verify, user.password_hash if user else None, body.password
        )
    except Overloaded:
        LOGINS.labels("overloaded").inc()  # not a failure: the password was never checked
        raise
    if user is None or not matches or user.disabled:
        await run_in_threadpool(_record_failure, rt, username, client, now)
        LOGINS.labels("bad_credentials").inc()
        raise Problem(401, BAD_CREDENTIALS)
    new_hash = await _upgraded_hash(rt, user.password_hash, body.password)
    pair = await run_in_threadpool(_succeed, rt, user, client, new_hash)
    LOGINS.labels("success").inc()
    return pair.body()


def _lookup(rt: Runtime, username: str, client: str, now: datetime) -> tuple[int, User | None]:
    with rt.sessions() as session:
        wait = rt.throttle.retry_after(session, username, client, now)
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
    return wait, user


def _record_failure(rt: Runtime, username: str, client: str, now: datetime) -> None:
    with transaction(rt.sessions) as session:
        rt.throttle.record_failure(session, username, client, now)


async def _upgraded_hash(rt: Runtime, stored_hash: str, password: str) -> str | None:
    """A new hash when the stored one uses other argon2 parameters than the settings now."""
    if not rt.passwords.needs_rehash(stored_hash):
        return None
    try:
        new_hash = await rt.limiter.run(rt.passwords.hash, password)
    except Overloaded:
        # The upgrade can wait for a quieter login; the user need not.
        REHASHES.labels("deferred").inc()
        return None
    REHASHES.labels("done").inc()
    return new_hash


def _succeed(rt: Runtime, user: User, client: str, new_hash: str | None) -> TokenPair:
    with transaction(rt.sessions) as session:
        # Re-read and locked: the token carries the user's current roles and revocation time,
        # and a disable committed since the password check is not answered with a token.
        current = session.get_one(User, user.id, with_for_update=True)
        if current.disabled:
            raise Problem(401, BAD_CREDENTIALS)
        rt.throttle.clear(session, user.username, client)
        if new_hash is not None:
            current.password_hash = new_hash
        return rt.issuer.issue(session, current, "password")


@router.post(
    "/refresh",
    response_model=TokenResponse,
    summary="Rotate a refresh token: a new access token and a new refresh token",
    description="Each refresh token works once. Presenting one that was already used revokes "
    "every token of that login session (it was probably stolen) and answers 401.",
    responses={401: _PROBLEM, 422: _PROBLEM},
)
def refresh(body: RefreshRequest, rt: RuntimeDep) -> dict[str, Any]:
    with transaction(rt.sessions) as session:
        pair, reason = rt.issuer.rotate(session, body.refresh_token)
    # Raised after the commit, so a reuse's family revocation is kept.
    if pair is None:
        raise InvalidRefreshToken(reason or "invalid refresh token")
    return pair.body()


@router.post(
    "/logout",
    status_code=204,
    summary="Revoke a refresh token and every token of its login session",
    description="Ends the session: its refresh tokens at once, its access tokens within "
    "REVOCATION_POLL_SECONDS (the gateway and the services poll auth's revocation list). "
    "Answers 204 for unknown tokens too (as RFC 7009 does): there is nothing left "
    "to revoke, and the answer tells a guesser nothing.",
    responses={422: _PROBLEM},
)
def logout(body: RefreshRequest, rt: RuntimeDep) -> Response:
    try:
        with transaction(rt.sessions) as session:
            revoke_by_token(session, body.refresh_token)
    except IntegrityError:
        pass  # the same session ended by a concurrent logout: it is ended either way
    return Response(status_code=204)
