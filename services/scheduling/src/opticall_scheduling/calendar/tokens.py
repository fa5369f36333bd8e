"""Calendar feed tokens: a 256-bit secret in the URL, its SHA-256 digest in the database.

Calendar apps cannot send a JWT, so the URL itself is the credential. Only its digest is
stored, so a database leak reveals no working URL. Issuing a token revokes the agent's
earlier ones (one live feed URL per agent); a revoked token answers 410 Gone, which tells a
calendar app to stop polling, and an unknown one 404.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from opticall_common.events import utcnow
from opticall_common.problems import Problem
from opticall_scheduling.agents.service import get_agent
from opticall_scheduling.calendar.models import CalendarToken
from opticall_scheduling.errors import NotFound
from opticall_scheduling.models import Agent, Shift


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def revoke_all(session: Session, agent_id: str) -> int:
    result = session.execute(
        update(CalendarToken)
        .where(CalendarToken.agent_id == agent_id, CalendarToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def issue(session: Session, agent_id: str, actor: str | None) -> tuple[CalendarToken, str]:
    """A new token for the agent (earlier ones revoked) and its secret, shown once."""
    get_agent(session, agent_id, for_update=True)
    revoke_all(session, agent_id)
    secret = secrets.token_urlsafe(32)
    row = CalendarToken(
        id=uuid.uuid4().hex,
        agent_id=agent_id,
        token_hash=digest(secret),
        created_by=actor,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row, secret


def feed_shifts(session: Session, secret: str, past: timedelta) -> tuple[Agent, list[Shift]]:
    """The agent of a live token and their shifts ending after ``now - past``."""
    row = session.scalars(
        select(CalendarToken).where(CalendarToken.token_hash == digest(secret))
    ).first()
    if row is None:
        raise NotFound("calendar", "(this URL)")
    if row.revoked_at is not None:
        raise Problem(410, "this calendar URL was revoked; ask for a new one")
    agent = get_agent(session, row.agent_id)
    since: datetime = utcnow() - past
    shifts = session.scalars(
        select(Shift)
        .where(Shift.agent_id == agent.agent_id, Shift.end_at > since)
        .order_by(Shift.start_at)
    )
    return agent, list(shifts)
