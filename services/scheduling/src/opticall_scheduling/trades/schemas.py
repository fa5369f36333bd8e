"""Wire shapes of shift trades."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from opticall_common.text import Identifier


class TradeStatus(StrEnum):
    """``open``: offered to anyone; ``offered``: to one agent; ``accepted``: the partner
    agreed and a supervisor must approve (``SCHEDULING_TRADE_AUTO_APPROVE=false``);
    ``approved``: the owners swapped; ``denied`` by a supervisor; ``cancelled`` by the offerer."""

    open = "open"
    offered = "offered"
    accepted = "accepted"
    approved = "approved"
    denied = "denied"
    cancelled = "cancelled"


LIVE = (TradeStatus.open, TradeStatus.offered, TradeStatus.accepted)


class TradeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    shift_id: Identifier
    # None: an open offer any agent may accept.
    to_agent_id: Identifier | None = None
    # A shift of ``to_agent_id`` wanted in return (a swap rather than a give-away).
    want_shift_id: Identifier | None = None
    note: str | None = Field(default=None, max_length=1000)


class TradeAccept(BaseModel):
    """Staff accepting an open offer on an agent's behalf name the agent."""

    model_config = ConfigDict(extra="forbid")

    agent_id: Identifier | None = None


class ShiftBrief(BaseModel):
    """The traded shift as it stands (agents may not read each other's shifts otherwise)."""

    id: str
    agent_id: str | None
    start: datetime | None
    end: datetime | None
    queue: str | None


class TradeOut(BaseModel):
    id: str
    status: TradeStatus
    from_agent_id: str
    to_agent_id: str | None
    shift: ShiftBrief
    want_shift: ShiftBrief | None
    note: str | None
    created_by: str | None
    accepted_by: str | None
    decided_by: str | None
    created_at: datetime
    updated_at: datetime


class TradePage(BaseModel):
    items: list[TradeOut]
    next_cursor: str | None
