"""``/shift-trades``: agents offer their shifts and accept offers, staff approve or deny."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Query

from opticall_common.db import transaction
from opticall_common.problems import Problem
from opticall_scheduling.access import agent_scope, check_acts_for, is_staff, own_agent
from opticall_scheduling.config import Settings
from opticall_scheduling.deps import Reader, Sessions, SettingsDep, Staff
from opticall_scheduling.errors import NotFound
from opticall_scheduling.trades import service
from opticall_scheduling.trades.schemas import (
    TradeAccept,
    TradeCreate,
    TradeOut,
    TradePage,
    TradeStatus,
)
from opticall_scheduling.workrules import Limits

router = APIRouter(prefix="/shift-trades", tags=["shift trades"])


def limits(settings: Settings) -> Limits:
    return Limits(
        min_rest=timedelta(hours=settings.min_rest_hours),
        max_weekly_hours=settings.max_weekly_hours,
        max_shift=settings.max_shift_length,
        lead_time=settings.trade_lead_time,
    )


@router.post("", status_code=201, summary="Offer a shift to an agent, or to anyone")
def create(body: TradeCreate, sessions: Sessions, principal: Reader) -> TradeOut:
    """Agents offer only their own shifts, and only before they start (422 otherwise);
    ``want_shift_id`` asks for one of the partner's shifts in return."""
    acting = None if is_staff(principal) else own_agent(principal)
    with transaction(sessions) as session:
        trade = service.create(session, body, principal.username, acting)
        return service.to_out(session, trade)


@router.get("", summary="Trades (agents: their own and every open offer)")
def listing(
    sessions: Sessions,
    principal: Reader,
    agent_id: str | None = None,
    status: TradeStatus | None = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> TradePage:
    scope = agent_scope(principal, agent_id)
    with transaction(sessions) as session:
        rows, next_cursor = service.listing(
            session,
            agent_id=scope,
            status=status,
            with_open=not is_staff(principal),
            cursor=cursor,
            limit=limit,
        )
        return TradePage(items=[service.to_out(session, t) for t in rows], next_cursor=next_cursor)


@router.get("/{trade_id}", summary="One trade")
def get_one(trade_id: str, sessions: Sessions, principal: Reader) -> TradeOut:
    with transaction(sessions) as session:
        trade = service.get(session, trade_id)
        if not is_staff(principal):
            me = own_agent(principal)
            parties = (trade.from_agent_id, trade.to_agent_id)
            if me not in parties and trade.status != TradeStatus.open.value:
                raise NotFound("shift trade", trade_id)
        return service.to_out(session, trade)


@router.post("/{trade_id}/accept", summary="Accept an offer: rules re-checked for both agents")
def accept(
    trade_id: str,
    sessions: Sessions,
    settings: SettingsDep,
    principal: Reader,
    body: Annotated[TradeAccept | None, Body()] = None,
) -> TradeOut:
    """By the partner (or, for an open offer, any other agent); staff name the agent of an
    open offer in ``agent_id``. Every rule is re-checked for both agents: a violation is a
    422 whose ``rule`` names it (``queue``, ``availability``, ``overlap``, ``min_rest``,
    ``weekly_hours``, ``max_shift_length``, ``lead_time``, ``active``) and nothing changes.
    Approved at once unless ``SCHEDULING_TRADE_AUTO_APPROVE`` is false (then ``accepted``)."""
    with transaction(sessions) as session:
        trade = service.get(session, trade_id)
        if is_staff(principal):
            taker = (body.agent_id if body else None) or trade.to_agent_id
            if taker is None:
                raise Problem(422, "name the agent who takes this open offer in agent_id")
        else:
            taker = own_agent(principal)
            if body is not None and body.agent_id is not None:
                check_acts_for(principal, body.agent_id)
        trade = service.accept(
            session,
            trade_id,
            taker,
            principal.username,
            limits=limits(settings),
            auto_approve=settings.trade_auto_approve,
        )
        return service.to_out(session, trade)


@router.post("/{trade_id}/approve", summary="Approve an accepted trade (rules re-checked)")
def approve(trade_id: str, sessions: Sessions, settings: SettingsDep, principal: Staff) -> TradeOut:
    with transaction(sessions) as session:
        trade = service.approve(session, trade_id, principal.username, limits=limits(settings))
        return service.to_out(session, trade)


@router.post("/{trade_id}/deny", summary="Deny a trade")
def deny(trade_id: str, sessions: Sessions, principal: Staff) -> TradeOut:
    with transaction(sessions) as session:
        trade = service.close(session, trade_id, principal.username, TradeStatus.denied)
        return service.to_out(session, trade)


@router.post("/{trade_id}/cancel", summary="Withdraw an offer (the offering agent, or staff)")
def cancel(trade_id: str, sessions: Sessions, principal: Reader) -> TradeOut:
    with transaction(sessions) as session:
        trade = service.get(session, trade_id)
        check_acts_for(principal, trade.from_agent_id)
        trade = service.close(session, trade_id, principal.username, TradeStatus.cancelled)
        return service.to_out(session, trade)
