"""A queue's weekly opening hours: which intervals are open, in the queue's own time zone.

JSON form (``open_hours`` in requests, stored per queue with its history)::

    {"timezone": "Europe/London",
     "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "07:00", "close": "21:00"},
                {"days": ["sat"], "open": "08:00", "close": "12:00"}]}

``close`` is exclusive; ``"24:00"`` closes at midnight. An interval is open when its start
falls in an opening window. Closed intervals are neither fitted (not zeros) nor forecast.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 1440


def _minutes(text: str) -> int:
    hours, sep, minutes = text.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"{text!r} is not a time HH:MM")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(f"{text!r} is not a time between 00:00 and 24:00")
    return value


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[str] = Field(min_length=1, max_length=7)
    open: str = Field(max_length=5)
    close: str = Field(max_length=5)

    @field_validator("days")
    @classmethod
    def _known_days(cls, value: list[str]) -> list[str]:
        days = [d.strip().lower()[:3] for d in value]
        unknown = [d for d, raw in zip(days, value, strict=True) if d not in DAYS or not raw]
        if unknown:
            raise ValueError(f"days must be among {', '.join(DAYS)}")
        return days

    @model_validator(mode="after")
    def _open_before_close(self) -> Window:
        if _minutes(self.open) >= _minutes(self.close):
            raise ValueError("open must be before close")
        return self


class OpenHours(BaseModel):
    """A weekly calendar of opening windows (at least one) in ``timezone``."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(default="UTC", max_length=64)
    weekly: list[Window] = Field(min_length=1, max_length=100)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    def minute_mask(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Open or not for each minute of the week, Monday 00:00 first."""
        mask = np.zeros(7 * MINUTES_PER_DAY, dtype=bool)
        for window in self.weekly:
            start, end = _minutes(window.open), _minutes(window.close)
            for day in window.days:
                base = DAYS.index(day) * MINUTES_PER_DAY
                mask[base + start : base + end] = True
        return mask

    def is_open(self, stamps: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """For naive-UTC timestamps: does each fall in an opening window (local time)?"""
        local = pd.DatetimeIndex(stamps).tz_localize("UTC").tz_convert(self.timezone)
        minute = local.day_of_week * MINUTES_PER_DAY + local.hour * 60 + local.minute
        return np.asarray(self.minute_mask()[np.asarray(minute)], dtype=np.bool_)

    def next_open(self, last: pd.Timestamp, freq: str, periods: int) -> pd.DatetimeIndex:
        """The first ``periods`` open grid points after ``last`` on the series' grid."""
        # Open intervals are at least one per week, so a few weeks' worth of steps suffices;
        # grow the candidate range until enough are open.
        chunk = max(periods * 4, 1)
        found: list[pd.DatetimeIndex] = []
        start, total = last, 0
        for _ in range(64):
            grid = pd.date_range(start=start, periods=chunk + 1, freq=freq)[1:]
            if not len(grid):
                break
            open_ = grid[self.is_open(grid.to_numpy(dtype="datetime64[ns]"))]
            found.append(open_)
            total += len(open_)
            if total >= periods:
                break
            start = grid[-1]
        joined = found[0].append(found[1:]) if found else pd.DatetimeIndex([])
        return joined[:periods]


def parse_open_hours(raw: Any) -> OpenHours:
    """Validate; pydantic's ValidationError (a ValueError) names the bad part."""
    return OpenHours.model_validate(raw)
