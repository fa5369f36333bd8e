"""Wire shapes of ``/schedules/generate``, ``GET /schedules/{id}`` and ``/publish``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from opticall_common.events import UtcDatetime
from opticall_common.text import Identifier, Name

IntervalMinutes = Literal[5, 10, 15, 20, 30, 60]


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: UtcDatetime
    end: UtcDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Requirement(BaseModel):
    """Agents needed on the phones in one interval (e.g. ``agents_raw`` from /staffing)."""

    model_config = ConfigDict(extra="forbid")

    start: UtcDatetime
    required: float = Field(ge=0, le=100_000)
    queue: Identifier | None = None
    # Relative cost of a missing agent-minute here (peaks may matter more than the night).
    weight: float = Field(default=1.0, gt=0, le=1000)


class AgentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: Identifier
    # None: available at any time of the horizon.
    availability: list[Window] | None = Field(default=None, max_length=200)
    min_weekly_hours: float = Field(default=0.0, ge=0, le=168)
    max_weekly_hours: float = Field(default=40.0, gt=0, le=168)
    # Empty: the agent may take any queue.
    queues: list[Identifier] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _hours(self) -> Self:
        if self.min_weekly_hours > self.max_weekly_hours:
            raise ValueError("min_weekly_hours exceeds max_weekly_hours")
        return self


class BreakKind(StrEnum):
    break_ = "break"
    lunch = "lunch"


class BreakRule(BaseModel):
    """A break placed somewhere in ``[earliest, latest]`` minutes after the shift starts."""

    model_config = ConfigDict(extra="forbid")

    kind: BreakKind = BreakKind.break_
    length_minutes: int = Field(ge=5, le=240)
    earliest_start_minutes: int = Field(ge=0, le=1440)
    latest_start_minutes: int = Field(ge=0, le=1440)
    # Short breaks are paid, lunch is not, unless said otherwise; only paid time counts
    # toward weekly hours.
    paid: bool | None = None

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.latest_start_minutes < self.earliest_start_minutes:
            raise ValueError("latest_start_minutes is before earliest_start_minutes")
        return self

    @property
    def is_paid(self) -> bool:
        return self.paid if self.paid is not None else self.kind is BreakKind.break_


class ShiftTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Name, Field(max_length=64)]
    length_minutes: int = Field(ge=30, le=720)
    start_granularity_minutes: int = Field(default=30, ge=5, le=240)
    breaks: list[BreakRule] = Field(default_factory=list, max_length=6)

    @model_validator(mode="after")
    def _breaks_fit(self) -> Self:
        previous_end = 0
        for i, b in enumerate(self.breaks):
            if b.latest_start_minutes + b.length_minutes > self.length_minutes:
                raise ValueError(f"breaks.{i} can end after the shift")
            if b.earliest_start_minutes < previous_end:
                raise ValueError(f"breaks.{i} may overlap the break before it; order the windows")
            previous_end = b.latest_start_minutes + b.length_minutes
        return self


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interval_minutes: IntervalMinutes = 30
    requirement: list[Requirement] = Field(min_length=1, max_length=20_000)
    agents: list[AgentSpec] = Field(min_length=1, max_length=500)
    shift_templates: list[ShiftTemplate] = Field(min_length=1, max_length=20)
    # None: the center is open for the whole horizon.
    operating_hours: list[Window] | None = Field(default=None, max_length=400)
    # Breaks start on this grid (defaults to the interval length).
    break_granularity_minutes: int | None = Field(default=None, ge=5, le=60)
    min_rest_hours: float = Field(default=8.0, ge=0, le=48)
    time_limit_seconds: float = Field(default=10.0, gt=0, le=300)

    @model_validator(mode="after")
    def _unique_agents(self) -> Self:
        ids = [a.agent_id for a in self.agents]
        if len(set(ids)) != len(ids):
            raise ValueError("agent_id values must be unique")
        return self


class Activity(BaseModel):
    kind: str
    start: datetime
    end: datetime


class DraftShift(BaseModel):
    agent_id: str
    start: datetime
    end: datetime
    queue: str | None
    template: str
    activity: str = "work"
    activities: list[Activity]


class CoverageInterval(BaseModel):
    start: datetime
    queue: str | None
    required: float
    scheduled: float  # agents on the phones, averaged over the interval (breaks excluded)
    gap: float  # scheduled - required: negative is under-coverage


class Uncoverable(BaseModel):
    start: datetime
    queue: str | None
    required: float
    max_possible: float  # agents that could be there at all, whatever else is scheduled


class SolverReport(BaseModel):
    status: str
    # Phase 1 minimises weighted under-coverage (agent-minutes x weight); phase 2 then holds it
    # and minimises over-coverage (agent-minutes).
    objective: float
    best_bound: float
    gap: float  # relative: (objective - best_bound) / max(1, objective)
    over_coverage_status: str
    over_objective: float
    over_best_bound: float
    wall_seconds: float
    variables: int


class ScheduleStatus(StrEnum):
    draft = "draft"
    published = "published"


class Schedule(BaseModel):
    id: str
    status: ScheduleStatus
    created_at: datetime
    created_by: str | None
    published_at: datetime | None = None
    shift_ids: list[str] = Field(default_factory=list)
    shifts: list[DraftShift]
    coverage: list[CoverageInterval]
    uncoverable: list[Uncoverable]
    under_coverage_agent_minutes: float
    over_coverage_agent_minutes: float
    solver: SolverReport
