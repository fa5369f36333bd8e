"""Request and response bodies of the forecasting API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from opticall_common.events import ForecastMetric, SeriesPoint
from opticall_common.text import Identifier
from opticall_forecasting.open_hours import OpenHours
from opticall_forecasting.series import MAX_YEAR, MIN_YEAR

NonNeg = Field(default=None, ge=0, allow_inf_nan=False)


class PredictPoint(BaseModel):
    ds: datetime
    yhat: float
    yhat_lower: float
    yhat_upper: float


class IntervalIn(BaseModel):
    """One interval of ACD statistics; naive times are taken as UTC."""

    model_config = ConfigDict(extra="ignore")

    queue: Identifier | None = None
    interval_start: datetime
    offered: float = Field(ge=0, allow_inf_nan=False)
    handled: float | None = NonNeg
    abandoned: float | None = NonNeg
    aht_seconds: float | None = NonNeg
    answered_within_sl: float | None = NonNeg
    asa_seconds: float | None = NonNeg

    @field_validator("interval_start")
    @classmethod
    def _plausible_year(cls, value: datetime) -> datetime:
        # Reports and fits run on pandas, whose timestamps end in 1677 and 2262: a year like
        # 0085 stored here would make every later report on the queue fail.
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValueError(f"interval_start must lie between {MIN_YEAR} and {MAX_YEAR}")
        return value


class HistoryIn(BaseModel):
    queue: Identifier | None = None
    # pydantic stops at the 200,001st item: the count is refused before items are validated.
    intervals: list[IntervalIn] = Field(min_length=1, max_length=200_000)


class IntervalOut(BaseModel):
    queue: str
    interval_start: datetime
    offered: float
    handled: float | None
    abandoned: float | None
    aht_seconds: float | None
    answered_within_sl: float | None
    asa_seconds: float | None


class UpsertResult(BaseModel):
    queues: list[str]
    upserted: int
    first: datetime
    last: datetime


class QueueSummary(BaseModel):
    queue: str
    intervals: int
    first: datetime
    last: datetime


class ForecastIn(BaseModel):
    """A forecast job: stored history of ``queue`` (``metric``), or inline ``history``.

    Unknown fields are ignored, so a ``ForecastRequest`` event's JSON is accepted as it is.
    """

    model_config = ConfigDict(extra="ignore")

    request_id: Identifier | None = None
    queue: Identifier | None = None
    metric: ForecastMetric = ForecastMetric.volume
    history: list[SeriesPoint] | None = Field(default=None, max_length=200_000)
    periods: int = Field(
        default=7, ge=1, le=10_000, description="Intervals ahead (open ones with open_hours)"
    )
    freq: str | None = Field(default=None, max_length=16)
    start: datetime | None = None
    end: datetime | None = None
    country: str | None = Field(default=None, min_length=2, max_length=8)
    model: str = Field(
        default="auto", max_length=32, description="auto (backtest choice), prophet or a peer"
    )
    future: list[datetime] | None = Field(
        default=None, min_length=1, max_length=10_000, description="Explicit times to forecast"
    )
    open_hours: OpenHours | None = Field(
        default=None, description="Weekly opening hours (else the queue's stored ones)"
    )


JobStatus = Literal["pending", "running", "done", "failed"]


class ForecastJobOut(BaseModel):
    id: str
    status: JobStatus
    queue: str | None = None
    metric: str = "volume"
    model: str | None = None
    points: list[PredictPoint] | None = None
    accuracy: dict[str, Any] | None = None
    error: str | None = None
    attempts: int = 0
    created_at: datetime | None = None
    completed_at: datetime | None = None
    # The period the forecast covers (its first and last point) and its step, also in lists
    # (which leave the points out): what a person picks a forecast by.
    period_start: datetime | None = None
    period_end: datetime | None = None
    interval_minutes: int | None = None


class Accepted(BaseModel):
    id: str
    status: JobStatus
