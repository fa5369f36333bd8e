"""``/login``, ``/refresh``, ``/logout`` and the JWKS: the public, token-less endpoints.

The handlers are sync on purpose: FastAPI runs them in worker threads, where the database
calls and the ~50 ms argon2 verify do not stall the event loop.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from opticall_auth.context import Ctx
from opticall_auth.metrics import LOGINS
from opticall_auth.models import User, utcnow
from opticall_auth.schemas import Jwks, LoginRequest, RefreshRequest, TokenResponse
from opticall_auth.tokens import InvalidRefreshToken, revoke_by_token
from opticall_common.db import transaction
from opticall_common.problems import Problem

router = APIRouter(tags=["auth"])

BAD_CREDENTIALS = "invalid username or password"
_PROBLEM = {"model": dict[str, Any], "content": {"application/problem+json": {}}}


@router.post(
    "/login",
    response_model=TokenResponse,
    summary="Exchange a username and password for an access and a refresh token",
    responses={401: _PROBLEM, 422: _PROBLEM, 429: _PROBLEM},
)
def login(body: LoginRequest, request: Request, ctx: Ctx) -> dict[str, Any]:
    client = ctx.proxies.client(
        request.client.host if request.client else None, request.headers.get("x-forwarded-for")
    )
    username = body.username
    now = utcnow()
    with ctx.sessions() as session:
        wait = ctx.throttle.retry_after(session, username, client, now)
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if wait:
        LOGINS.labels("throttled").inc()
        raise Problem(
            429,
            "too many failed logins; try again later",
            headers={"Retry-After": str(wait)},
            retry_after=wait,
        )
    # Verified outside any transaction: no connection is held during the hash.
    matches = ctx.passwords.verify(user.password_hash if user else None, body.password)
    if user is None or not matches or user.disabled:
        with transaction(ctx.sessions) as session:
            ctx.throttle.record_failure(session, username, client, now)
        LOGINS.labels("bad_credentials").inc()
        raise Problem(401, BAD_CREDENTIALS)
    rehash = ctx.passwords.needs_rehash(user.password_hash)
    new_hash = ctx.passwords.hash(body.password) if rehash else None
    with transaction(ctx.sessions) as session:
        ctx.throttle.clear(session, username, client)
        if new_hash is not None:
            session.get_one(User, user.id).password_hash = new_hash
        pair = ctx.issuer.issue(session, user, "password")
    LOGINS.labels("success").inc()
    return pair.body()


@router.post(
    "/refresh",
    response_model=TokenResponse,
    summary="Rotate a refresh token: a new access token and a new refresh token",
    description="Each refresh token works once. Presenting one that was already used revokes "
    "every token of that login session (it was probably stolen) and answers 401.",
    responses={401: _PROBLEM, 422: _PROBLEM},
)
def refresh(body: RefreshRequest, ctx: Ctx) -> dict[str, Any]:
    with transaction(ctx.sessions) as session:
        pair, reason = ctx.issuer.rotate(session, body.refresh_token)
    # Raised after the commit, so a reuse's family revocation is kept.
    if pair is None:
        raise InvalidRefreshToken(reason or "invalid refresh token")
    return pair.body()


@router.post(
    "/logout",
    status_code=204,
    summary="Revoke a refresh token and every token of its login session",
    description="Answers 204 for unknown tokens too (as RFC 7009 does): there is nothing left "
    "to revoke, and the answer tells a guesser nothing.",
    responses={422: _PROBLEM},
)
def logout(body: RefreshRequest, ctx: Ctx) -> Response:
    with transaction(ctx.sessions) as session:
        revoke_by_token(session, body.refresh_token)
    return Response(status_code=204)


@router.get(
    "/.well-known/jwks.json",
    response_model=Jwks,
    summary="The public keys that verify access tokens (Ed25519, RFC 8037)",
)
async def jwks(ctx: Ctx, response: Response) -> dict[str, Any]:
    # Verifiers cache it themselves and refetch on an unknown kid; a short max-age is enough.
    response.headers["Cache-Control"] = "public, max-age=60"
    return ctx.keyring.jwks()
