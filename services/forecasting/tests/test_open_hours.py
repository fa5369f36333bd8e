"""Weekly opening hours: validation, which intervals are open, the next open intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from opticall_forecasting.open_hours import OpenHours, parse_open_hours

WEEKDAYS = {"days": ["mon", "tue", "wed", "thu", "fri"], "open": "07:00", "close": "21:00"}


def stamps(*texts: str) -> np.ndarray:  # type: ignore[type-arg]
    return pd.DatetimeIndex(list(texts)).to_numpy(dtype="datetime64[ns]")


def test_open_is_start_in_a_window_and_close_is_exclusive() -> None:
    hours = parse_open_hours({"weekly": [WEEKDAYS]})
    # 2025-01-06 is a Monday, 2025-01-11 a Saturday.
    got = hours.is_open(
        stamps(
            "2025-01-06 06:30",
            "2025-01-06 07:00",
            "2025-01-06 20:30",
            "2025-01-06 21:00",
            "2025-01-11 10:00",
        )
    )
    assert got.tolist() == [False, True, True, False, False]


def test_local_time_zone_is_used() -> None:
    hours = parse_open_hours({"timezone": "Europe/Paris", "weekly": [WEEKDAYS]})
    # 06:00 UTC is 07:00 in Paris in winter, 08:00 in summer.
    assert hours.is_open(stamps("2025-01-06 06:00", "2025-01-06 05:59")).tolist() == [True, False]
    assert hours.is_open(stamps("2025-07-07 05:00", "2025-07-07 04:59")).tolist() == [True, False]


def test_next_open_counts_open_intervals_only() -> None:
    hours = parse_open_hours({"weekly": [WEEKDAYS]})
    # From Friday 20:00: 20:00 is past, 20:30 is open, then Monday 07:00 onwards.
    nxt = hours.next_open(pd.Timestamp("2025-01-10 20:00"), "30min", 3)
    assert [str(t) for t in nxt] == [
        "2025-01-10 20:30:00",
        "2025-01-13 07:00:00",
        "2025-01-13 07:30:00",
    ]
    assert len(hours.next_open(pd.Timestamp("2025-01-10 20:00"), "30min", 28 * 10)) == 280


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"weekly": []},
        {"weekly": [{"days": ["mon"], "open": "9", "close": "17:00"}]},
        {"weekly": [{"days": ["mon"], "open": "09:00", "close": "08:00"}]},
        {"weekly": [{"days": ["mon"], "open": "09:00", "close": "25:00"}]},
        {"weekly": [{"days": ["funday"], "open": "09:00", "close": "17:00"}]},
        {"weekly": [{"days": [], "open": "09:00", "close": "17:00"}]},
        {"timezone": "Mars/Olympus", "weekly": [WEEKDAYS]},
        {"weekly": [WEEKDAYS], "extra": 1},
        "mon-fri 9-17",
    ],
)
def test_malformed_or_empty_open_hours_are_refused(raw: object) -> None:
    with pytest.raises(ValidationError):
        parse_open_hours(raw)


def test_midnight_close_and_round_trip() -> None:
    hours = OpenHours.model_validate(
        {"weekly": [{"days": ["Sun"], "open": "00:00", "close": "24:00"}]}
    )
    assert hours.weekly[0].days == ["sun"]
    assert hours.minute_mask().sum() == 1440
    assert OpenHours.model_validate(hours.model_dump(mode="json")) == hours
