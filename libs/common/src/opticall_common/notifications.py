"""``agent-notifications`` (key ``agent_id``): a change that affects one agent, for integrators.

Scheduling writes one through its outbox for every time-off decision, shift trade step and
shift edit that touches an agent, in the transaction of the change itself; an integrator routes
them to e-mail, Teams or SMS. ``message`` is a ready sentence; the ids say what to look up.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, Field


class NotificationKind(StrEnum):
    time_off_approved = "time_off_approved"
    time_off_pending = "time_off_pending"
    time_off_rejected = "time_off_rejected"
    time_off_denied = "time_off_denied"
    time_off_cancelled = "time_off_cancelled"
    trade_offered = "trade_offered"
    trade_accepted = "trade_accepted"
    trade_approved = "trade_approved"
    trade_denied = "trade_denied"
    trade_cancelled = "trade_cancelled"
    schedule_changed = "schedule_changed"


class AgentNotification(BaseModel):
    """Something changed for one agent (topic ``agent-notifications``, key ``agent_id``)."""

    notification_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    agent_id: str
    kind: NotificationKind
    message: str
    # What the notification is about (set where it applies).
    time_off_id: str | None = None
    trade_id: str | None = None
    shift_ids: list[str] = Field(default_factory=list)
    occurred_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
