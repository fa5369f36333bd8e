"""The auth service's tables: users, refresh tokens (hashed), ended sessions, WebSocket
tickets (hashed) and failed logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from opticall_common.db import UTCDateTime
from opticall_common.events import utcnow


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON)
    agent_id: Mapped[str | None] = mapped_column(String(64))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Access tokens issued up to this moment no longer count (revocations_api.py): set when
    # the user is disabled or their roles, agent or password change. Indexed: the revocation
    # list is the users with a recent value.
    tokens_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RefreshToken(Base):
    """One issued refresh token; only its SHA-256 is stored, so a leaked table grants nothing.

    Tokens descending from one login share ``family_id``: presenting a token that was already
    rotated means it was stolen (or replayed), and the whole family is revoked.
    """

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_family", "family_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[str | None] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rotated: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginFailure(Base):
    """A failed login, kept for the throttle window; in the DB so every replica sees it."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_user_client", "username", "client", "at"),
        Index("ix_login_failures_client", "client", "at"),
        Index("ix_login_failures_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(150))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class SessionRevocation(Base):
    """A login session (a refresh-token family) that ended: logout, or a token reused.

    Published in the revocation list (routes/revocations.py) while an access token of the
    session may still be alive, so verifiers refuse the session's access tokens too.
    """

    __tablename__ = "session_revocations"

    sid: Mapped[str] = mapped_column(String(32), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class WsTicket(Base):
    """A single-use ticket for the realtime WebSocket (ws_tickets.py); only its SHA-256."""

    __tablename__ = "ws_tickets"

    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sid: Mapped[str | None] = mapped_column(String(32))
    # The access token it was asked with: issued then (a later revocation of the user spends
    # the ticket too), and expires then (the socket may live no longer).
    access_issued_at: Mapped[int] = mapped_column(Integer)
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
