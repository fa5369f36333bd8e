"""Single-use tickets for the realtime WebSocket, so browsers keep tokens out of URLs.

A browser cannot put a header on a WebSocket, so its token would travel in the URL, where
proxies and access logs keep it. Instead the dashboard asks ``POST /realtime/ws-ticket`` with
its access token and gets a random ticket, valid ``AUTH_WS_TICKET_TTL_SECONDS`` (30 s) for
one connection. The gateway redeems it here (``POST /internal/ws-tickets/redeem``, not
routed to the public) for an access token of the same user and session, which expires no
later than the one the ticket was asked with; it goes to the realtime service in a header.

Tickets live in auth's database (only their SHA-256), so a ticket issued through one gateway
or auth replica is redeemed by any other, once: redeeming deletes the row in the same
statement that finds it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from opticall_auth.models import User, WsTicket
from opticall_auth.tokens import TokenIssuer, not_before, session_ended
from opticall_common.events import utcnow
from opticall_common.security import Principal


def _hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def issue_ticket(session: Session, principal: Principal, user: User, ttl: int) -> str:
    """A new ticket for ``principal``'s session; expired tickets are swept on the way."""
    now = utcnow()
    session.execute(delete(WsTicket).where(WsTicket.expires_at <= now))
    ticket = secrets.token_urlsafe(32)
    session.add(
        WsTicket(
            ticket_hash=_hash(ticket),
            user_id=user.id,
            sid=principal.session_id,
            access_issued_at=principal.issued_at,
            access_expires_at=datetime.fromtimestamp(principal.expires_at, UTC),
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    return ticket


def redeem_ticket(session: Session, ticket: str, issuer: TokenIssuer) -> str | None:
    """The access token a ticket stands for, once; None when unknown, used or expired, or
    when its user was disabled or its session ended meanwhile."""
    now = utcnow()
    row = session.scalars(
        select(WsTicket).where(WsTicket.ticket_hash == _hash(ticket)).with_for_update()
    ).one_or_none()
    if row is None:
        return None
    session.delete(row)  # whatever follows, the ticket is spent
    if row.expires_at <= now or row.access_expires_at <= now:
        return None
    if row.sid is not None and session_ended(session, row.sid):
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    if user.tokens_valid_after is not None and (
        row.access_issued_at <= not_before(user.tokens_valid_after)
    ):
        return None  # the token it was asked with has been revoked since
    return issuer.access_token(user, row.sid, int(row.access_expires_at.timestamp()))
