"""Wire shapes of agents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from opticall_common.text import Identifier, Name

# An agent id is a path segment (/agents/{agent_id}): no slash and no whitespace either.
AgentId = Annotated[Identifier, Field(pattern=r"^[^/\s]+$")]


def check_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
        ) from exc
    return value


class AgentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    agent_id: AgentId
    name: Name
    queues: list[Identifier] = Field(default_factory=list, max_length=200)
    skills: list[Identifier] = Field(default_factory=list, max_length=200)
    timezone: str = "UTC"
    active: bool = True

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return check_timezone(value)


class AgentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name | None = None
    queues: list[Identifier] | None = Field(default=None, max_length=200)
    skills: list[Identifier] | None = Field(default=None, max_length=200)
    timezone: str | None = None
    active: bool | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return check_timezone(value)


class AgentOut(BaseModel):
    agent_id: str
    name: str
    queues: list[str]
    skills: list[str]
    timezone: str
    active: bool
    created_at: datetime
    updated_at: datetime


class AgentPage(BaseModel):
    items: list[AgentOut]
    next_cursor: str | None
