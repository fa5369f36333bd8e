"""The seasonal-profile forecasters: seasonal naive, weekly average, weekly profile."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from opticall_forecasting.fitting import FitSpec
from opticall_forecasting.profiles import (
    ModelUnavailable,
    seasonal_naive_weekly,
    weekly_average,
    weekly_profile,
)

_spec = importlib.util.spec_from_file_location("fc_helpers", Path(__file__).with_name("helpers.py"))
assert _spec and _spec.loader
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

HOUR = np.timedelta64(1, "h")


def spec(y: np.ndarray, ds: np.ndarray | None = None, ahead: int = 24) -> FitSpec:  # type: ignore[type-arg]
    ds = helpers.stamps("2025-01-06", len(y), "h") if ds is None else ds
    return FitSpec(ds=ds, y=y, future=ds[-1] + np.arange(1, ahead + 1) * HOUR, step=3600.0)


def test_seasonal_naive_repeats_last_week() -> None:
    y = np.tile(np.arange(7 * 24, dtype=float), 2)
    assert np.allclose(seasonal_naive_weekly(spec(y)).yhat, np.arange(24))


def test_weekly_average_is_the_mean_of_the_last_four_weeks() -> None:
    weeks = [np.full(168, float(v)) for v in (100, 10, 20, 30, 40)]  # the oldest is too old
    out = weekly_average(spec(np.concatenate(weeks)))
    assert np.allclose(out.yhat, 25.0)


def test_weekly_profile_follows_a_level_shift_that_the_average_lags() -> None:
    rng = np.random.default_rng(2)
    shape = 20 + 15 * np.sin(np.arange(168) * 2 * np.pi / 24) ** 2
    y = np.concatenate([shape * (1.0 if k < 4 else 1.5) for k in range(6)])
    y = y * rng.uniform(0.97, 1.03, len(y))
    s = spec(y)
    truth = shape[:24] * 1.5
    err_profile = np.abs(weekly_profile(s).yhat - truth).sum()
    err_average = np.abs(weekly_average(s).yhat - truth).sum()
    assert err_profile < 0.5 * err_average


def test_profiles_use_times_not_positions_so_closed_hours_need_no_zeros() -> None:
    # Business hours only (09:00-17:00 every day, no rows at night) for three weeks.
    ds = helpers.stamps("2025-01-06", 21 * 24, "h")
    hours = (ds - ds.astype("datetime64[D]")) / HOUR
    keep = (hours >= 9) & (hours < 17)
    y = (10 + hours * 2)[keep]
    future = np.array(["2025-01-27T09", "2025-01-27T16"], dtype="datetime64[ns]")
    s = FitSpec(ds=ds[keep], y=y, future=future, step=3600.0)
    assert np.allclose(weekly_average(s).yhat, [28.0, 42.0])
    assert np.allclose(weekly_profile(s).yhat, [28.0, 42.0], rtol=0.02)


def test_less_than_a_week_of_history_is_unavailable() -> None:
    with pytest.raises(ModelUnavailable):
        weekly_profile(spec(np.ones(100)))
