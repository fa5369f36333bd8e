"""Wire shapes of ``/staffing``, ``/staffing/evaluate`` and ``/staffing/plan`` (DESIGN.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from opticall_common.events import UtcDatetime
from opticall_common.text import Identifier

# Interval lengths a contact center actually plans in; anything else is almost surely a typo.
IntervalMinutes = Literal[5, 10, 15, 20, 30, 60]
MAX_INTERVALS = 10_000  # four weeks of 5-minute intervals, or a year and more of 60-minute ones
MAX_VOLUME = 1_000_000.0
MAX_AHT_SECONDS = 86_400.0
# Beyond this offered load (in Erlangs) one interval would need more agents than any center has.
MAX_LOAD_ERLANGS = 20_000.0


class QueueModel(StrEnum):
    erlang_c = "erlang_c"
    erlang_a = "erlang_a"


class StaffingParams(BaseModel):
    """Targets shared by every interval of a request."""

    model_config = ConfigDict(extra="forbid")

    interval_minutes: IntervalMinutes = 30
    service_level: float = Field(default=0.8, gt=0, lt=1)
    answer_seconds: float = Field(default=20.0, ge=0, le=3600)
    max_occupancy: float = Field(default=1.0, gt=0, le=1)
    shrinkage: float = Field(default=0.0, ge=0, lt=1)
    model: QueueModel = QueueModel.erlang_c
    patience_seconds: float | None = Field(default=None, gt=0, le=86_400)

    @model_validator(mode="after")
    def _patience_for_erlang_a(self) -> Self:
        if self.model is QueueModel.erlang_a and self.patience_seconds is None:
            raise ValueError("patience_seconds is required when model is erlang_a")
        return self


class StaffingInterval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: UtcDatetime
    volume: float = Field(ge=0, le=MAX_VOLUME)
    aht_seconds: float = Field(gt=0, le=MAX_AHT_SECONDS)


class StaffingRequest(StaffingParams):
    intervals: list[StaffingInterval] = Field(max_length=MAX_INTERVALS)


class StaffingResult(BaseModel):
    start: UtcDatetime
    agents_raw: int
    agents_required: int
    service_level: float
    asa_seconds: float | None
    occupancy: float
    p_wait: float
    abandonment: float | None = None  # erlang_a only


class StaffingResponse(BaseModel):
    intervals: list[StaffingResult]


class EvaluateInterval(StaffingInterval):
    agents: int = Field(ge=0, le=1_000_000, description="scheduled headcount, before shrinkage")


class EvaluateRequest(StaffingParams):
    """``service_level`` here is only the target each interval is checked against."""

    intervals: list[EvaluateInterval] = Field(max_length=MAX_INTERVALS)


class EvaluateResult(BaseModel):
    start: UtcDatetime
    agents: int
    agents_productive: int
    service_level: float
    asa_seconds: float | None
    occupancy: float
    p_wait: float
    abandonment: float | None = None
    meets_target: bool


class EvaluateResponse(BaseModel):
    intervals: list[EvaluateResult]


class ForecastSource(BaseModel):
    """A stored forecast of volume (and optionally one of AHT) for one queue."""

    model_config = ConfigDict(extra="forbid")

    forecast_id: Identifier
    aht_forecast_id: Identifier | None = None
    aht_seconds: float | None = Field(default=None, gt=0, le=MAX_AHT_SECONDS)
    queue: Identifier | None = None

    @model_validator(mode="after")
    def _one_aht(self) -> Self:
        if (self.aht_forecast_id is None) == (self.aht_seconds is None):
            raise ValueError("give exactly one of aht_forecast_id and aht_seconds")
        return self


class InlineQueue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: Identifier | None = None
    intervals: list[StaffingInterval] = Field(max_length=MAX_INTERVALS)


class PlanRequest(StaffingParams):
    """Either one forecast (top-level ``forecast_id`` …), several ``forecasts``, or ``queues``
    with inline intervals; they may be combined."""

    forecast_id: Identifier | None = None
    aht_forecast_id: Identifier | None = None
    aht_seconds: float | None = Field(default=None, gt=0, le=MAX_AHT_SECONDS)
    queue: Identifier | None = None
    forecasts: list[ForecastSource] = Field(default_factory=list, max_length=50)
    queues: list[InlineQueue] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _some_source(self) -> Self:
        if self.forecast_id is not None:
            if (self.aht_forecast_id is None) == (self.aht_seconds is None):
                raise ValueError("give exactly one of aht_forecast_id and aht_seconds")
            self.forecasts = [
                ForecastSource(
                    forecast_id=self.forecast_id,
                    aht_forecast_id=self.aht_forecast_id,
                    aht_seconds=self.aht_seconds,
                    queue=self.queue,
                ),
                *self.forecasts,
            ]
        elif self.aht_forecast_id is not None or self.aht_seconds is not None:
            raise ValueError("aht_forecast_id / aht_seconds need a forecast_id")
        if not self.forecasts and not self.queues:
            raise ValueError("give forecast_id, forecasts or queues")
        return self


class PlanResult(StaffingResult):
    queue: str | None
    volume: float
    aht_seconds: float


class PlanTotal(BaseModel):
    start: UtcDatetime
    agents_raw: int
    agents_required: int


class PlanResponse(BaseModel):
    intervals: list[PlanResult]
    # Summed over queues per interval start: what /schedules/generate takes as its requirement
    # when agents are not split by queue.
    totals: list[PlanTotal]
