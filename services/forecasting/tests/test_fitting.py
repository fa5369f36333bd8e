"""The Prophet model's guarantees: no negatives, closed hours, tiny and flat series."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from opticall_forecasting.fitting import FitSpec, closed_slots, fit_prophet

_spec = importlib.util.spec_from_file_location("fc_helpers", Path(__file__).with_name("helpers.py"))
assert _spec and _spec.loader
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def business_hours(weeks: int) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    """Hourly calls 09:00-17:00 on weekdays, zero otherwise (rows exist for every hour)."""
    ds = helpers.stamps("2025-01-06", weeks * 7 * 24, "h")
    hours = (ds - ds.astype("datetime64[D]")) / np.timedelta64(1, "h")
    weekday = ((ds.astype("datetime64[D]").astype(np.int64) - 4) % 7) < 5
    rng = np.random.default_rng(1)
    open_ = weekday & (hours >= 9) & (hours < 17)
    y = np.where(open_, 40 + 20 * np.sin(hours / 3) + rng.normal(0, 3, len(ds)), 0.0)
    return ds, np.clip(y, 0, None)


def test_closed_hours_forecast_zero_and_open_hours_do_not() -> None:
    ds, y = business_hours(3)
    future = ds[-1] + np.arange(1, 7 * 24 + 1) * np.timedelta64(1, "h")
    spec = FitSpec(ds=ds, y=y, future=future, step=3600.0, uncertainty_samples=50)
    out = fit_prophet(spec)
    hours = (future - future.astype("datetime64[D]")) / np.timedelta64(1, "h")
    weekday = ((future.astype("datetime64[D]").astype(np.int64) - 4) % 7) < 5
    open_ = weekday & (hours >= 9) & (hours < 17)
    assert np.all(out.yhat[~open_] == 0)
    assert np.all(out.upper[~open_] == 0)
    assert out.yhat[open_].mean() > 20


def test_slots_without_rows_count_as_closed_after_two_weeks() -> None:
    ds, y = business_hours(3)
    keep = y > 0  # a feed that only sends open intervals
    future = ds[-1] + np.arange(1, 25) * np.timedelta64(1, "h")
    spec = FitSpec(ds=ds[keep], y=y[keep], future=future, step=3600.0)
    closed = closed_slots(spec)
    assert closed is not None
    hours = (future - future.astype("datetime64[D]")) / np.timedelta64(1, "h")
    assert closed[(hours < 9) | (hours >= 17)].all()


def test_forecast_is_never_negative_on_a_falling_series() -> None:
    ds = helpers.stamps("2025-01-01", 30, "D")
    y = np.linspace(100, 1, 30)
    future = ds[-1] + np.arange(1, 61) * np.timedelta64(1, "D")
    out = fit_prophet(FitSpec(ds=ds, y=y, future=future, step=86400.0, uncertainty_samples=50))
    for values in (out.yhat, out.lower, out.upper):
        assert np.isfinite(values).all()
        assert (values >= 0).all()
    assert (out.lower <= out.yhat).all() and (out.yhat <= out.upper).all()


def test_two_points_and_constant_series_work() -> None:
    ds = helpers.stamps("2025-01-01", 2, "D")
    future = ds[-1] + np.arange(1, 8) * np.timedelta64(1, "D")
    two = fit_prophet(FitSpec(ds=ds, y=np.array([150.0, 170.0]), future=future, step=86400.0))
    assert len(two.yhat) == 7 and np.isfinite(two.yhat).all()
    flat = fit_prophet(FitSpec(ds=ds, y=np.array([5.0, 5.0]), future=future, step=86400.0))
    assert flat.model == "constant" and np.all(flat.yhat == 5.0)
    zeros = fit_prophet(FitSpec(ds=ds, y=np.zeros(2), future=future, step=86400.0))
    assert np.all(zeros.yhat == 0.0)


def test_negative_series_is_not_clipped() -> None:
    ds = helpers.stamps("2025-01-01", 20, "D")
    y = -np.arange(20, dtype=float) - 5
    future = ds[-1] + np.arange(1, 4) * np.timedelta64(1, "D")
    out = fit_prophet(FitSpec(ds=ds, y=y, future=future, step=86400.0, uncertainty_samples=20))
    assert (out.yhat < 0).all()


def test_features_built_once_give_the_same_forecast_and_bounds(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from opticall_forecasting import fitting

    frame = helpers.real_frame()
    spec = FitSpec(
        ds=frame["ds"].to_numpy(dtype="datetime64[ns]")[:1500],
        y=frame["y"].to_numpy()[:1500],
        future=frame["ds"].to_numpy(dtype="datetime64[ns]")[1500:1600],
        step=900.0,
    )
    np.random.seed(1)
    once = fit_prophet(spec)
    monkeypatch.setattr(fitting, "_features_once", lambda model: None)
    np.random.seed(1)
    twice = fit_prophet(spec)
    for a, b in ((once.yhat, twice.yhat), (once.lower, twice.lower), (once.upper, twice.upper)):
        assert np.allclose(a, b)
