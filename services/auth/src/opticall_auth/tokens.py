"""Access tokens (signed JWTs) and refresh tokens (opaque, stored hashed, rotated per use).

A login starts a session: a refresh-token family, whose id every access token of the session
carries as ``sid``. Ending the session (logout, or a rotated refresh token presented again)
revokes the family and records the ``sid`` in ``session_revocations``, which the revocation
list publishes: the session's access tokens stop working within one poll of the verifiers.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from opticall_auth.keys import KeyRing
from opticall_auth.metrics import TOKENS_ISSUED
from opticall_auth.models import RefreshToken, SessionRevocation, User
from opticall_common.events import utcnow
from opticall_common.problems import Problem


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int

    def body(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
        }


class InvalidRefreshToken(Problem):
    def __init__(self, detail: str = "invalid or expired refresh token") -> None:
        super().__init__(401, detail)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenIssuer:
    def __init__(
        self,
        keyring: KeyRing,
        *,
        issuer: str,
        audience: str,
        access_ttl: int,
        refresh_ttl: int,
    ) -> None:
        self.keyring = keyring
        self.issuer = issuer
        self.audience = audience
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl

    def access_token(self, user: User, sid: str | None, expires_at: int | None = None) -> str:
        """A signed access token for ``user`` in session ``sid``; it expires after the TTL,
        or at ``expires_at`` when that comes first (a WebSocket ticket's token)."""
        now = int(time.time())
        # iat must be later than the user's last revocation's whole second, or verifiers
        # reject it (revocations.py): a token issued in that same second moves iat to the next
        # one, at most a second ahead (well within the verifiers' 5 s leeway).
        iat = now
        if user.tokens_valid_after is not None:
            iat = max(now, not_before(user.tokens_valid_after) + 1)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": user.username,
            "iat": iat,
            "nbf": now,
            "exp": iat + self.access_ttl
            if expires_at is None
            else min(iat + self.access_ttl, expires_at),
            "jti": uuid.uuid4().hex,
            "typ": "access",
            "roles": list(user.roles),
        }
        if sid is not None:
            claims["sid"] = sid
        if user.agent_id:
            claims["agent_id"] = user.agent_id
        return self.keyring.sign(claims)

    def _new_refresh(
        self, session: Session, user: User, family_id: str, parent_id: str | None, now: datetime
    ) -> str:
        token = secrets.token_urlsafe(32)
        session.add(
            RefreshToken(
                id=uuid.uuid4().hex,
                token_hash=hash_refresh_token(token),
                user_id=user.id,
                family_id=family_id,
                parent_id=parent_id,
                issued_at=now,
                expires_at=now + timedelta(seconds=self.refresh_ttl),
                rotated=False,
                revoked=False,
            )
        )
        return token

    def issue(self, session: Session, user: User, grant: str) -> TokenPair:
        """A new session (a new refresh-token family) for a user who just logged in."""
        family = uuid.uuid4().hex
        refresh = self._new_refresh(session, user, family, None, utcnow())
        TOKENS_ISSUED.labels(grant).inc()
        return TokenPair(self.access_token(user, family), refresh, self.access_ttl)

    def rotate(self, session: Session, presented: str) -> tuple[TokenPair | None, str | None]:
        """Swap a refresh token for a new pair.

        Returns ``(pair, None)`` on success, or ``(None, reason)``; on reuse of a rotated token
        the family is revoked in ``session`` and the caller must commit before answering 401.
        """
        now = utcnow()
        row = session.scalars(
            select(RefreshToken)
            .where(RefreshToken.token_hash == hash_refresh_token(presented))
            .with_for_update()  # two concurrent uses of one token: the second sees it rotated
        ).one_or_none()
        if row is None or row.revoked:
            return None, "invalid or revoked refresh token"
        if row.rotated:
            end_session(session, row.family_id)
            return None, "refresh token reused: the session was revoked, log in again"
        if row.expires_at <= now:
            return None, "refresh token expired"
        # Locked like login's read: a concurrent disable then commits a later not_before.
        user = session.get(User, row.user_id, with_for_update=True)
        if user is None or user.disabled:
            revoke_family(session, row.family_id)
            return None, "invalid or revoked refresh token"
        row.rotated = True
        refresh = self._new_refresh(session, user, row.family_id, row.id, now)
        TOKENS_ISSUED.labels("refresh_token").inc()
        return TokenPair(self.access_token(user, row.family_id), refresh, self.access_ttl), None


def not_before(moment: datetime) -> int:
    """The whole second published for a revocation at ``moment``: tokens with ``iat`` up to
    and including it are rejected (opticall_common.revocations explains why floor)."""
    return math.floor(moment.timestamp())


def revoke_access_tokens(user: User) -> None:
    """Every access token issued to ``user`` until now stops working at the next poll.

    The caller holds the user's row lock (``SELECT ... FOR UPDATE``) and reads the clock
    after taking it, so a login or refresh racing with this either sees the change or
    signed its token before this moment.
    """
    user.tokens_valid_after = utcnow()


def revoke_family(session: Session, family_id: str) -> None:
    session.execute(
        update(RefreshToken).where(RefreshToken.family_id == family_id).values(revoked=True)
    )


# Ended sessions are published while one of their access tokens may live (routes/
# revocations.py); kept a day, well past any sane access-token TTL, then pruned.
KEEP_ENDED_SESSIONS = timedelta(days=1)


def end_session(session: Session, family_id: str) -> None:
    """Revoke the family's refresh tokens and publish its ``sid`` (its access tokens)."""
    revoke_family(session, family_id)
    now = utcnow()
    # Pruned as sessions end, so the table holds a day's logouts with no job to run.
    session.execute(
        delete(SessionRevocation).where(SessionRevocation.revoked_at < now - KEEP_ENDED_SESSIONS)
    )
    if session.get(SessionRevocation, family_id) is None:
        session.add(SessionRevocation(sid=family_id, revoked_at=now))


def session_ended(session: Session, sid: str) -> bool:
    return session.get(SessionRevocation, sid) is not None


def revoke_by_token(session: Session, presented: str) -> bool:
    """Logout: end the session of ``presented``; False when the token is unknown."""
    family = session.scalar(
        select(RefreshToken.family_id).where(
            RefreshToken.token_hash == hash_refresh_token(presented)
        )
    )
    if family is None:
        return False
    end_session(session, family)
    return True


def revoke_user(session: Session, user_id: int) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked.is_(False))
        .values(revoked=True)
    )
