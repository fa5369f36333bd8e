"""Accuracy metrics, rolling-origin backtests and the automatic choice of model."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from opticall_forecasting.backtest import accuracy, backtest, choose_and_forecast, horizon_for
from opticall_forecasting.baselines import seasonal_naive
from opticall_forecasting.fitting import DAY, WEEK, FitSpec

_spec = importlib.util.spec_from_file_location("fc_helpers", Path(__file__).with_name("helpers.py"))
assert _spec and _spec.loader
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def test_metrics_match_hand_computed_values() -> None:
    m = accuracy(np.array([10.0, 0.0, 30.0]), np.array([12.0, 1.0, 27.0]))
    assert m["wape"] == pytest.approx((2 + 1 + 3) / 40)
    assert m["mape"] == pytest.approx((0.2 + 0.1) / 2)  # the zero actual is skipped
    assert m["rmse"] == pytest.approx(np.sqrt((4 + 1 + 9) / 3))


def test_metrics_of_all_zero_actuals_are_none_not_nan() -> None:
    m = accuracy(np.zeros(3), np.ones(3))
    assert m["wape"] is None and m["mape"] is None and m["rmse"] == pytest.approx(1.0)


def test_seasonal_naive_repeats_last_week() -> None:
    ds = helpers.stamps("2025-01-06", 14 * 24, "h")
    y = np.tile(np.arange(7 * 24, dtype=float), 2)
    future = ds[-1] + np.arange(1, 25) * np.timedelta64(1, "h")
    out = seasonal_naive(FitSpec(ds=ds, y=y, future=future, step=3600.0), WEEK, "w")
    assert np.allclose(out.yhat, np.arange(24))


def test_backtest_of_a_perfect_model_is_zero_error() -> None:
    ds = helpers.stamps("2025-01-06", 21 * 24, "h")
    y = np.tile(np.arange(7 * 24, dtype=float) + 1, 3)
    spec = FitSpec(ds=ds, y=y, future=ds[-1:] + np.timedelta64(1, "h"), step=3600.0)
    m = backtest(spec, lambda s: seasonal_naive(s, WEEK, "w"), folds=2, horizon=24)
    assert m is not None and m["wape"] == 0.0 and m["n"] == 48


def test_horizon_is_a_day_for_intraday_and_a_week_for_daily() -> None:
    ds = helpers.stamps("2025-01-01", 10, "h")
    assert horizon_for(FitSpec(ds=ds, y=np.ones(10), future=ds, step=900.0), 1000) == 96
    assert horizon_for(FitSpec(ds=ds, y=np.ones(10), future=ds, step=DAY), 1000) == 7
    assert horizon_for(FitSpec(ds=ds, y=np.ones(10), future=ds, step=900.0), 5) == 5


def test_weekly_pattern_selects_weekly_seasonal_naive() -> None:
    ds = helpers.stamps("2025-01-06", 21 * 24, "h")
    rng = np.random.default_rng(3)
    week = rng.uniform(5, 100, 7 * 24)  # no smooth shape: only an exact weekly repeat fits
    y = np.tile(week, 3)
    future = ds[-1] + np.arange(1, 25) * np.timedelta64(1, "h")
    outcome = choose_and_forecast(FitSpec(ds=ds, y=y, future=future, step=3600.0), 2, 24)
    assert outcome.model == "seasonal_naive_weekly"
    assert outcome.accuracy is not None and outcome.accuracy["wape"] == 0.0
    assert {"prophet", "seasonal_naive_weekly", "seasonal_naive_daily", "mstl"} <= set(
        outcome.candidates
    )
    assert np.allclose(outcome.forecast.yhat, week[:24])


def test_real_data_choice_beats_prophet_in_its_own_backtest() -> None:
    frame = helpers.real_frame().iloc[: 96 * 21]
    ds = frame["ds"].to_numpy(dtype="datetime64[ns]")
    future = ds[-1] + np.arange(1, 97) * np.timedelta64(15, "m")
    spec = FitSpec(
        ds=ds, y=frame["y"].to_numpy(), future=future, step=900.0, uncertainty_samples=50
    )
    outcome = choose_and_forecast(spec, 2, 96)
    best = outcome.candidates[outcome.model]["wape"]
    assert best is not None
    assert all(best <= (m["wape"] or np.inf) for m in outcome.candidates.values())
    assert (outcome.forecast.yhat >= 0).all() and len(outcome.forecast.yhat) == 96
