"""``POST /realtime/ws-ticket`` and the gateway's ``POST /internal/ws-tickets/redeem``.

Why tickets, and how they are kept single-use across replicas: ``ws_tickets.py``. The
redeem route is internal like the revocation list: not in the gateway's route table (404
there), reachable only from the gateway and the services (NetworkPolicies). The ticket itself
is the credential: 256 random bits, valid once, for 30 s.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from opticall_auth.deps import CurrentUser, RuntimeDep
from opticall_auth.models import User
from opticall_auth.tokens import not_before, session_ended
from opticall_auth.ws_tickets import issue_ticket, redeem_ticket
from opticall_common.db import transaction
from opticall_common.problems import Problem
from opticall_common.security import unauthorized

router = APIRouter(tags=["realtime"])
_PROBLEM = {"model": dict[str, Any], "content": {"application/problem+json": {}}}


class TicketOut(BaseModel):
    ticket: str = Field(description="open WS /realtime/ws?ticket=<this>, once")
    expires_in: int = Field(description="seconds left to use it")


class RedeemIn(BaseModel):
    ticket: str = Field(min_length=1, max_length=256)


class RedeemOut(BaseModel):
    access_token: str


@router.post(
    "/realtime/ws-ticket",
    response_model=TicketOut,
    summary="A single-use ticket to open the realtime WebSocket without a token in its URL",
    description="For browsers, which cannot send Authorization on a WebSocket: open "
    "`/realtime/ws?ticket=<ticket>` within `expires_in` seconds. It works once; the socket "
    "lives no longer than the access token the ticket was asked with.",
    responses={401: _PROBLEM, 403: _PROBLEM},
)
def ws_ticket(principal: CurrentUser, rt: RuntimeDep) -> dict[str, Any]:
    ttl = rt.settings.ws_ticket_ttl_seconds
    with transaction(rt.sessions) as session:
        user = session.scalars(
            select(User).where(User.username == principal.username)
        ).one_or_none()
        # Auth's own verifier does not poll the revocation list: check the account instead.
        if user is None or user.disabled:
            raise unauthorized("this account is disabled")
        if user.tokens_valid_after is not None and (
            principal.issued_at <= not_before(user.tokens_valid_after)
        ):
            raise unauthorized("token revoked")
        if principal.session_id is not None and session_ended(session, principal.session_id):
            raise unauthorized("token revoked")
        ticket = issue_ticket(session, principal, user, ttl)
    return {"ticket": ticket, "expires_in": ttl}


@router.post(
    "/internal/ws-tickets/redeem",
    response_model=RedeemOut,
    include_in_schema=False,
)
def redeem(body: RedeemIn, rt: RuntimeDep) -> dict[str, Any]:
    with transaction(rt.sessions) as session:
        token = redeem_ticket(session, body.ticket, rt.issuer)
    if token is None:
        raise Problem(401, "invalid, used or expired ticket")
    return {"access_token": token}
