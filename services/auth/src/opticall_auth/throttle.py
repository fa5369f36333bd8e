"""Login throttling against password guessing, shared by all replicas through the database.

Failures are counted in a sliding window under three keys:

* (username, client): a few failures (default 5) block that client for that user. This is the
  limit a brute-force attack meets first, and it leaves the real user, on another client,
  free to log in: keying on the username alone would let anyone lock any account out.
* client: more failures (default 20) over any usernames block the client, against one
  client spraying many usernames.
* username: many failures (default 100) from any clients block the username everywhere,
  against a distributed attack on one account. It is much higher than the per-client limits
  because reaching it does lock the real user out: that is the price of stopping a botnet.

A throttled attempt is answered 429 without checking the password and is not counted, so a
blocked client cannot extend its own block. A successful login clears the failures of its
(username, client) pair only. Two replicas counting at once may let a failure or two past a
limit; that slack is harmless, and keeping the state here means no extra infrastructure.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, delete, func, or_, select
from sqlalchemy.orm import Session

from opticall_auth.models import LoginFailure
from opticall_common.security import signed_forwarded_for


@dataclass(frozen=True)
class Limits:
    window_seconds: int
    per_user_client: int
    per_client: int
    per_user: int


class ForwardedClient:
    """The client's address: the one the gateway states, if the gateway signed it, else the
    TCP peer.

    The gateway puts the address it determined in X-Forwarded-For with an HMAC of it under
    ``FORWARDED_SECRET`` (opticall_common.security), and never passes on a client's own:
    a client can write X-Forwarded-For, but not the signature, even on the gateway's
    connection. So a login is throttled by the client's real address, whoever reaches auth.
    """

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def client(self, peer: str | None, forwarded_for: str | None, signature: str | None) -> str:
        address = signed_forwarded_for(self.secret, forwarded_for, signature)
        return client_key(address or peer or "unknown")


def client_key(host: str) -> str:
    """The throttle key for an address: IPv6 clients own a /64, so they are keyed by it."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class LoginThrottle:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    @property
    def _window(self) -> timedelta:
        return timedelta(seconds=self.limits.window_seconds)

    def retry_after(self, session: Session, username: str, client: str, now: datetime) -> int:
        """Seconds until this (username, client) may try again; 0 when not blocked."""
        since = now - self._window
        pair = and_(LoginFailure.username == username, LoginFailure.client == client)
        by_client = LoginFailure.client == client
        by_user = LoginFailure.username == username
        counts = session.execute(
            select(
                func.sum(case((pair, 1), else_=0)),
                func.sum(case((by_client, 1), else_=0)),
                func.sum(case((by_user, 1), else_=0)),
            ).where(LoginFailure.at > since, or_(by_client, by_user))
        ).one()
        wait = 0.0
        for condition, limit, count in (
            (pair, self.limits.per_user_client, counts[0]),
            (by_client, self.limits.per_client, counts[1]),
            (by_user, self.limits.per_user, counts[2]),
        ):
            if count and count >= limit:
                wait = max(wait, self._seconds_until_below(session, condition, count, limit, now))
        return math.ceil(wait)

    def _seconds_until_below(
        self,
        session: Session,
        condition: ColumnElement[bool],
        count: int,
        limit: int,
        now: datetime,
    ) -> float:
        # Below the limit again once the (count - limit + 1) oldest failures leave the window.
        oldest_to_expire = session.scalar(
            select(LoginFailure.at)
            .where(condition, LoginFailure.at > now - self._window)
            .order_by(LoginFailure.at)
            .offset(count - limit)
            .limit(1)
        )
        if oldest_to_expire is None:
            return 1.0
        return max(1.0, (oldest_to_expire + self._window - now).total_seconds())

    def record_failure(self, session: Session, username: str, client: str, now: datetime) -> None:
        session.add(LoginFailure(username=username[:150], client=client, at=now))
        # Pruning as we go keeps the table at one window's worth of failures, with no job.
        session.execute(delete(LoginFailure).where(LoginFailure.at <= now - self._window))

    def clear(self, session: Session, username: str, client: str) -> None:
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.username == username, LoginFailure.client == client
            )
        )
