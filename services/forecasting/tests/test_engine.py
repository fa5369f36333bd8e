"""The engine: accuracy metrics, rolling-origin folds, named models, combinations, auto."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from opticall_forecasting.engine import (
    AUTO_CANDIDATES,
    COMBINATION_MARGIN,
    MEDIAN,
    WEIGHTED,
    accuracy,
    as_json,
    folds_for,
    forecast,
)
from opticall_forecasting.fitting import FitSpec

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


def hourly(weeks: int, week: np.ndarray) -> FitSpec:  # type: ignore[type-arg]
    ds = helpers.stamps("2025-01-06", weeks * 7 * 24, "h")
    future = ds[-1] + np.arange(1, 25) * np.timedelta64(1, "h")
    return FitSpec(ds=ds, y=np.tile(week, weeks), future=future, step=3600.0)


def test_folds_are_the_last_windows_of_the_horizon_with_enough_history_before() -> None:
    spec = hourly(3, np.arange(168, dtype=float))
    n = len(spec.y)
    assert [f.cut for f in folds_for(spec, 3, 24)] == [n - 72, n - 48, n - 24]
    # A window needs 40% of the history before it: of three weeks, a week ahead fits once.
    assert [f.cut for f in folds_for(spec, 3, 168)] == [n - 168]
    # Two weeks of history before each window once the history has them (40% would be 8.4
    # days here): three days ahead of three weeks is backtested twice, not three times.
    assert [f.cut for f in folds_for(spec, 3, 72)] == [n - 144, n - 72]
    # Windows stop at two weeks: a week ahead of eight weeks is backtested twice.
    long = hourly(8, np.arange(168, dtype=float))
    assert len(folds_for(long, 3, 168)) == 2 and len(folds_for(long, 3, 24)) == 3


def test_an_exact_weekly_repeat_is_forecast_exactly_by_auto() -> None:
    rng = np.random.default_rng(3)
    week = rng.uniform(5, 100, 7 * 24)  # no smooth shape: only a weekly repeat fits
    outcome = forecast(hourly(4, week), "auto", 3)
    assert outcome.accuracy is not None and outcome.accuracy["wape"] == pytest.approx(0, abs=1e-9)
    assert np.allclose(outcome.forecast.yhat, week[:24])
    assert set(AUTO_CANDIDATES) <= set(outcome.candidates)
    assert {MEDIAN, WEIGHTED} <= set(outcome.candidates)
    report = as_json(outcome)
    assert report["chosen"] == outcome.model and report["folds"] == 3 and report["horizon"] == 24


def test_a_named_model_is_used_and_backtested_alone() -> None:
    week = np.arange(168, dtype=float) + 1
    outcome = forecast(hourly(3, week), "seasonal_naive_weekly", 2)
    assert outcome.model == "seasonal_naive_weekly"
    assert set(outcome.candidates) == {"seasonal_naive_weekly"}
    assert outcome.accuracy is not None and outcome.accuracy["wape"] == 0.0
    unscored = forecast(hourly(3, week), "seasonal_naive_weekly", 2, backtest=False)
    assert unscored.accuracy is None and np.allclose(unscored.forecast.yhat, week[:24])


def test_a_too_short_history_excludes_models_with_the_reason_and_still_forecasts() -> None:
    ds = helpers.stamps("2025-01-01", 2, "D")
    spec = FitSpec(
        ds=ds, y=np.array([150.0, 170.0]), future=ds[-1:] + np.timedelta64(1, "D"), step=86400.0
    )
    outcome = forecast(spec, "auto", 3, extra=("mstl",))
    assert outcome.model == "prophet" and len(outcome.forecast.yhat) == 1
    assert "mstl" in outcome.candidates
    assert all("excluded" in m for m in outcome.candidates.values())


def test_combinations_are_reported_and_chosen_by_the_margin_rule() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.uniform(20, 80, 168), rng.uniform(20, 80, 168)
    ds = helpers.stamps("2025-01-06", 6 * 168, "h")
    spec = FitSpec(
        ds=ds,
        y=np.concatenate([a if k % 2 else b for k in range(6)]),
        future=ds[-1] + np.arange(1, 25) * np.timedelta64(1, "h"),
        step=3600.0,
    )
    outcome = forecast(spec, "auto", 3)
    scored = {k: m["wape"] for k, m in outcome.candidates.items() if m.get("wape") is not None}
    best_combo = min(scored[MEDIAN], scored[WEIGHTED])
    if outcome.model in (MEDIAN, WEIGHTED):
        assert scored[outcome.model] == best_combo
        assert min(scored.values()) >= (1 - COMBINATION_MARGIN) * best_combo
    else:
        assert scored[outcome.model] == min(scored.values())
        assert scored[outcome.model] < (1 - COMBINATION_MARGIN) * best_combo
    assert len(outcome.candidates[MEDIAN]["members"]) == 3
    if outcome.model in (MEDIAN, WEIGHTED):
        assert outcome.members == outcome.candidates[outcome.model]["members"]


def test_real_data_auto_beats_prophet_and_seasonal_naive_in_its_own_backtest() -> None:
    frame = helpers.real_frame().iloc[: 96 * 21]
    ds = frame["ds"].to_numpy(dtype="datetime64[ns]")
    future = ds[-1] + np.arange(1, 97) * np.timedelta64(15, "m")
    spec = FitSpec(ds=ds, y=frame["y"].to_numpy(), future=future, step=900.0)
    outcome = forecast(spec, "auto", 3)
    best = outcome.candidates[outcome.model]["wape"]
    assert best <= outcome.candidates["prophet"]["wape"]
    assert best <= outcome.candidates["seasonal_naive_weekly"]["wape"]
    assert (outcome.forecast.yhat >= 0).all() and len(outcome.forecast.yhat) == 96


def test_a_combination_within_the_margin_of_the_best_single_model_is_kept() -> None:
    from opticall_forecasting.engine import _choose

    order = ["a", "b", MEDIAN, WEIGHTED]
    close = {
        "a": {"wape": 0.190},
        "b": {"wape": 0.25},
        MEDIAN: {"wape": 0.195},
        WEIGHTED: {"wape": 0.192},
    }
    assert _choose(list(close), close, order) == WEIGHTED
    clear = {**close, "a": {"wape": 0.150}}
    assert _choose(list(clear), clear, order) == "a"
    singles = {"a": {"wape": 0.3}, "b": {"wape": 0.2}}
    assert _choose(list(singles), singles, order) == "b"


def test_a_combinations_interval_is_its_own_backtest_error_quantiles() -> None:
    from opticall_forecasting.engine import _combine_forecasts

    week = np.arange(168, dtype=float) + 50
    spec = hourly(3, week)
    errors = np.linspace(-10, 10, 101)  # q10 = -8, q90 = +8
    out = _combine_forecasts(
        spec, MEDIAN, ["weekly_average", "seasonal_naive_weekly"], np.array([0.5, 0.5]), errors
    )
    assert np.allclose(out.yhat, week[:24])
    assert np.allclose(out.lower, week[:24] - 8) and np.allclose(out.upper, week[:24] + 8)
