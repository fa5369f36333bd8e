"""Wire shapes of shifts. Times accept any UTC offset and are normalised to UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from opticall_common.events import ActivityKind
from opticall_common.text import Identifier

# A shift's activity name (``work`` unless said otherwise): an id, as short as the column.
ActivityName = Annotated[Identifier, Field(max_length=32)]


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 9999-12-31T23:00-05:00: a 422, not a 500
        raise ValueError("time out of range") from exc


# Naive times are refused: "08:00" without an offset is ambiguous across sites and DST.
UtcTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


class Activity(BaseModel):
    """A part of a shift (break, lunch, meeting, training); must lie inside the shift."""

    model_config = ConfigDict(extra="forbid")

    kind: ActivityKind
    start: UtcTime
    end: UtcTime


class ShiftCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    agent_id: Identifier
    start: UtcTime
    end: UtcTime
    activity: ActivityName = "work"
    queue: Identifier | None = None
    activities: list[Activity] = Field(default_factory=list, max_length=100)


class ShiftUpdate(BaseModel):
    """PATCH: fields present replace the stored ones; ``activities`` replaces the whole list."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    agent_id: Identifier | None = None
    start: UtcTime | None = None
    end: UtcTime | None = None
    activity: ActivityName | None = None
    queue: Identifier | None = None
    activities: list[Activity] | None = Field(default=None, max_length=100)


class ShiftOut(BaseModel):
    id: str
    agent_id: str
    start: datetime
    end: datetime
    activity: str
    queue: str | None
    activities: list[Activity]
    created_at: datetime
    updated_at: datetime


class ShiftCreated(BaseModel):
    id: str
    shift: ShiftOut


class BulkCreated(BaseModel):
    ids: list[str]


class ShiftPage(BaseModel):
    items: list[ShiftOut]
    next_cursor: str | None
