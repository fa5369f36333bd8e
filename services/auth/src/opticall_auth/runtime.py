"""What the auth routes need, built once in the lifespan and reached through ``app.state``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from opticall_auth.config import Settings
from opticall_auth.hashing import HashLimiter
from opticall_auth.keys import KeyRing
from opticall_auth.models import User
from opticall_auth.passwords import Passwords
from opticall_auth.throttle import LoginThrottle, TrustedProxies
from opticall_auth.tokens import TokenIssuer
from opticall_common.db import transaction
from opticall_common.problems import Problem
from opticall_common.security import (
    Principal,
    Role,
    TokenVerifier,
    role_dependency,
    unauthorized,
)

log = logging.getLogger(__name__)


@dataclass
class AuthContext:
    settings: Settings
    sessions: sessionmaker[Session]
    keyring: KeyRing
    passwords: Passwords
    # Every hash or verify on a request's path goes through it (see hashing.py).
    limiter: HashLimiter
    issuer: TokenIssuer
    throttle: LoginThrottle
    proxies: TrustedProxies


class LocalTokenVerifier(TokenVerifier):
    """The common verifier, fed from our own key ring instead of fetching our own JWKS."""

    def __init__(self, keyring: KeyRing, issuer: str, audience: str) -> None:
        super().__init__("local://jwks", issuer, audience)
        self._keyring = keyring
        self.set_keys(keyring.jwks())

    async def refresh(self, *, force: bool = False) -> None:
        self.set_keys(self._keyring.jwks())


def get_context(request: Request) -> AuthContext:
    ctx: AuthContext = request.app.state.auth
    return ctx


Ctx = Annotated[AuthContext, Depends(get_context)]
_TokenAdmin = Annotated[
    Principal, Depends(role_dependency(lambda r: r.app.state.res.verifier, Role.admin))
]


def current_admin(principal: _TokenAdmin, ctx: Ctx) -> Principal:
    """The token's admin, if the account still is one (sync: FastAPI runs it in a thread).

    Access tokens live up to 15 minutes; auth, which owns the accounts, does not let an admin
    who was disabled or demoted meanwhile go on administering users with one.
    """
    with ctx.sessions() as session:
        row = session.execute(
            select(User.disabled, User.roles).where(User.username == principal.username)
        ).one_or_none()
    if row is None or row.disabled:
        raise unauthorized("this account is disabled")
    if Role.admin.value not in row.roles:
        raise Problem(403, "your role may not use this endpoint")
    return principal


Admin = Annotated[Principal, Depends(current_admin)]


def seed_admin(ctx: AuthContext) -> None:
    """Create ``admin`` when a password is configured and no such user exists yet."""
    password = ctx.settings.effective_admin_password
    if password is None:
        return
    with ctx.sessions() as probe:
        if probe.scalar(select(User.id).where(User.username == "admin")) is not None:
            return
    try:
        with transaction(ctx.sessions) as session:
            session.add(
                User(
                    username="admin",
                    password_hash=ctx.passwords.hash(password),
                    roles=[Role.admin.value],
                    disabled=False,
                )
            )
    except IntegrityError:
        return  # another replica seeded it at the same moment
    log.info("seeded the admin user")
