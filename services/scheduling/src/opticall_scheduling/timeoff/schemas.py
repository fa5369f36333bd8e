"""Wire shapes of time off: balances, queue allowances, requests."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from opticall_common.text import Identifier
from opticall_scheduling.agents.schemas import check_timezone
from opticall_scheduling.shifts.schemas import UtcTime

TimeOffType = Annotated[Identifier, Field(max_length=32, examples=["vacation", "sick"])]
Hours = Annotated[float, Field(ge=0, le=100_000)]


class Balance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: TimeOffType
    hours: Hours


class BalancesPut(BaseModel):
    """The agent's balances as a whole: types left out are removed."""

    model_config = ConfigDict(extra="forbid")

    balances: list[Balance] = Field(max_length=100)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        types = [b.type for b in self.balances]
        if len(set(types)) != len(types):
            raise ValueError("each type may appear once")
        return self


class BalanceOut(Balance):
    updated_at: datetime


class Balances(BaseModel):
    agent_id: str
    balances: list[BalanceOut]


class BalanceRow(Balance):
    """One line of a balance CSV import."""

    agent_id: Identifier


class BalanceImport(BaseModel):
    """What a CSV import stored: rows read and the agents they touched."""

    rows: int
    agents: int


class AllowanceRule(BaseModel):
    """A different limit on some weekdays and/or hours (the queue's time zone); the first rule
    that matches a moment sets its limit."""

    model_config = ConfigDict(extra="forbid")

    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: list(range(7)), max_length=7, description="0 is Monday"
    )
    start_time: time | None = None
    end_time: time | None = None
    max_agents_off: int = Field(ge=0, le=100_000)

    @model_validator(mode="after")
    def _times(self) -> Self:
        if (self.start_time is None) != (self.end_time is None):
            raise ValueError("give both start_time and end_time, or neither")
        start, end = self.start_time, self.end_time
        if start is not None and end is not None and end <= start:
            raise ValueError("end_time must be after start_time")
        return self


class AllowancePut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_agents_off: int = Field(ge=0, le=100_000)
    # False: every request of the queue's agents waits for a supervisor.
    auto_approve: bool = True
    timezone: str = "UTC"
    rules: list[AllowanceRule] = Field(default_factory=list, max_length=50)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return check_timezone(value) or "UTC"


class AllowanceOut(AllowancePut):
    queue: str
    updated_at: datetime


class TimeOffStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    denied = "denied"
    cancelled = "cancelled"


class TimeOffReason(StrEnum):
    """Why a request is not approved: short of ``balance`` (rejected), over a queue's
    ``allowance``, or its queue wants a supervisor's ``approval`` (both pending)."""

    balance = "balance"
    allowance = "allowance"
    approval = "approval"


class TimeOffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    agent_id: Identifier
    type: TimeOffType
    start: UtcTime
    end: UtcTime
    note: str | None = Field(default=None, max_length=1000)


class TimeOffOut(BaseModel):
    id: str
    agent_id: str
    type: str
    start: datetime
    end: datetime
    hours: float
    status: TimeOffStatus
    reason: TimeOffReason | None
    note: str | None
    # Shifts the approval changed (a time_off activity) or removed (wholly covered).
    changed_shift_ids: list[str]
    removed_shift_ids: list[str]
    created_by: str | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime


class TimeOffPage(BaseModel):
    items: list[TimeOffOut]
    next_cursor: str | None
