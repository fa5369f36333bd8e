"""Calendar feeds: ``POST/DELETE /agents/{agent_id}/calendar-token`` (the agent, or staff)
and ``GET /calendar/{token}.ics`` (public: the secret token is the credential)."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Response
from pydantic import BaseModel

from opticall_common.db import transaction
from opticall_scheduling.access import check_acts_for
from opticall_scheduling.calendar import feed, tokens
from opticall_scheduling.deps import Reader, Sessions, SettingsDep

router = APIRouter(tags=["calendar"])

ICS = "text/calendar; charset=utf-8"


class CalendarTokenOut(BaseModel):
    token_id: str
    agent_id: str
    # Relative to the gateway: /calendar/<secret>.ics (shown once; only a digest is kept).
    path: str
    # ``path`` under SCHEDULING_PUBLIC_URL, when that is set.
    url: str | None
    created_at: datetime


@router.post(
    "/agents/{agent_id}/calendar-token",
    status_code=201,
    summary="A new secret calendar URL for the agent (earlier ones are revoked)",
)
def issue(
    agent_id: str, sessions: Sessions, settings: SettingsDep, principal: Reader
) -> CalendarTokenOut:
    check_acts_for(principal, agent_id)
    with transaction(sessions) as session:
        row, secret = tokens.issue(session, agent_id, principal.username)
    path = f"/calendar/{secret}.ics"
    base = settings.public_url.rstrip("/")
    return CalendarTokenOut(
        token_id=row.id,
        agent_id=agent_id,
        path=path,
        url=f"{base}{path}" if base else None,
        created_at=row.created_at,
    )


@router.delete(
    "/agents/{agent_id}/calendar-token",
    status_code=204,
    summary="Revoke the agent's calendar URLs (they answer 410 from now on)",
)
def revoke(agent_id: str, sessions: Sessions, principal: Reader) -> Response:
    check_acts_for(principal, agent_id)
    with transaction(sessions) as session:
        tokens.revoke_all(session, agent_id)
    return Response(status_code=204)


@router.get(
    "/calendar/{token}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "RFC 5545 iCalendar"}},
    summary="An agent's shifts as iCalendar (410 once revoked)",
)
def ics(token: str, sessions: Sessions, settings: SettingsDep) -> Response:
    past = timedelta(days=settings.calendar_past_days)
    with transaction(sessions) as session:
        agent, shifts = tokens.feed_shifts(session, token, past)
        body = feed.calendar(agent, shifts)
    # The URL is a secret: keep it out of shared caches.
    return Response(body, media_type=ICS, headers={"Cache-Control": "private, max-age=300"})
