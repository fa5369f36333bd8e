"""Seasonal-profile forecasters: fast numpy models built on the time-of-week slot.

Call arrivals repeat by time of week far more than they trend (Taylor 2008; Ibrahim et al.
2016), so the strongest simple forecasts re-use past weeks:

* ``seasonal_naive_weekly`` / ``_daily``: the latest value one week (day) earlier.
* ``weekly_average``: the mean of the same slot over the last weeks (up to four), which
  averages out one week's noise.
* ``weekly_profile``: a multiplicative decomposition on the log scale: a time-of-week profile
  (recent weeks weigh more) around a local weekly level, and that level tracked by simple
  exponential smoothing of the deseasonalised series (the smoothing constant chosen by
  one-step error). It follows a level shift that a plain average of past weeks lags behind.

Slots are computed from timestamps, not positions, so history with closed hours or gaps
(missing data, never zeros) needs no regular grid. Each runs in milliseconds, so the backtest
can afford many origins.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from opticall_forecasting.fitting import DAY, WEEK, Array, FitSpec, Forecast, finish, week_slots

Slots = np.ndarray[Any, np.dtype[np.int64]]
MAX_WEEKS = 4
HALF_LIFE_WEEKS = 2.0
ALPHAS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5)


class ModelUnavailable(ValueError):
    """The history is too short or irregular for this model."""


def _needs(spec: FitSpec, period: float, name: str) -> None:
    if spec.step is None or spec.step >= period or spec.span_seconds < period:
        raise ModelUnavailable(f"{name} needs a fixed step and one full season of history")


def _residual_band(spec: FitSpec, yhat: Array, fitted: Array) -> tuple[Array, Array]:
    """An 80% band from the in-sample errors of the same rule (NaN where it had no value)."""
    errors = (spec.y - fitted)[np.isfinite(fitted)]
    lo, hi = np.quantile(errors, [0.1, 0.9]) if errors.size else (0.0, 0.0)
    return yhat + lo, yhat + hi


def seasonal_naive(spec: FitSpec, period_seconds: float, name: str) -> Forecast:
    """Each future point repeats the latest observed value one (or more) periods earlier."""
    _needs(spec, period_seconds, name)
    hist = pd.Series(spec.y, index=pd.DatetimeIndex(spec.ds))
    future = pd.DatetimeIndex(spec.future)
    period = pd.Timedelta(seconds=period_seconds)
    last = hist.index[-1]
    yhat = np.full(len(future), np.nan)
    k = 1
    while np.isnan(yhat).any():
        back = future - k * period
        if back.max() < hist.index[0]:
            break
        found = hist.reindex(back).to_numpy(dtype=np.float64)
        usable = np.isnan(yhat) & (back <= last) & ~np.isnan(found)
        yhat[usable] = found[usable]
        k += 1
    yhat = np.where(np.isnan(yhat), float(np.mean(spec.y)), yhat)
    fitted = hist.reindex(hist.index - period).to_numpy(dtype=np.float64)
    lower, upper = _residual_band(spec, yhat, fitted)
    return finish(spec, yhat, lower, upper, name)


def seasonal_naive_weekly(spec: FitSpec) -> Forecast:
    return seasonal_naive(spec, WEEK, "seasonal_naive_weekly")


def seasonal_naive_daily(spec: FitSpec) -> Forecast:
    return seasonal_naive(spec, DAY, "seasonal_naive_daily")


def _weeks_back(spec: FitSpec) -> Array:
    """Whole weeks between each history point and the end of the history (0 = last week)."""
    age = (spec.ds[-1] - spec.ds) / np.timedelta64(1, "s")
    return np.floor(np.asarray(age, dtype=np.float64) / WEEK)


def _slot_mean(values: Array, where: Slots, weights: Array, n: int) -> tuple[Array, Array]:
    den = np.bincount(where, weights=weights, minlength=n)
    num = np.bincount(where, weights=values * weights, minlength=n)
    mean = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return mean.astype(np.float64), den.astype(np.float64)


def weekly_average(spec: FitSpec) -> Forecast:
    """The mean of each time-of-week slot over the last (up to four) weeks."""
    _needs(spec, WEEK, "weekly_average")
    assert spec.step is not None
    n = int(np.ceil(WEEK / spec.step))
    recent = _weeks_back(spec) < MAX_WEEKS
    past, ahead = week_slots(spec.ds, spec), week_slots(spec.future, spec)
    mean, _ = _slot_mean(spec.y, past, recent.astype(np.float64), n)
    yhat = np.where(np.isnan(mean[ahead]), float(np.mean(spec.y)), mean[ahead])
    fitted = mean[past]
    lower, upper = _residual_band(spec, yhat, fitted)
    return finish(spec, yhat, lower, upper, "weekly_average")


def _smooth_level(deseasonalised: Array) -> Array:
    """Simple exponential smoothing, the constant with the lowest one-step squared error;
    returns the one-step-ahead level before each point and the final level last."""
    from scipy.signal import lfilter  # here: only pool workers fit, the service never does

    d = deseasonalised
    start = float(np.mean(d[: max(1, len(d) // 10)]))
    warmup = len(d) // 10
    best: tuple[float, Array] | None = None
    for alpha in ALPHAS:
        level, _ = lfilter([alpha], [1.0, alpha - 1.0], d, zi=[(1.0 - alpha) * start])
        before = np.concatenate([[start], level])
        sse = float(np.sum((d - before[:-1])[warmup:] ** 2))
        if best is None or sse < best[0]:
            best = (sse, before)
    assert best is not None
    return best[1]


def weekly_profile(spec: FitSpec) -> Forecast:
    """Log-scale weekly profile around an exponentially smoothed level (see the module doc)."""
    _needs(spec, WEEK, "weekly_profile")
    assert spec.step is not None
    log_scale = spec.nonnegative
    z = np.log1p(spec.y) if log_scale else spec.y.astype(np.float64)
    n = int(np.ceil(WEEK / spec.step))
    past, ahead = week_slots(spec.ds, spec), week_slots(spec.future, spec)
    # The local level: the mean over the week centred on each point (shrinking at the ends),
    # by time rather than position, so closed hours and gaps do not stretch the window.
    half = np.timedelta64(int(WEEK / 2), "s")
    total = np.concatenate([[0.0], np.cumsum(z)])
    lo = np.searchsorted(spec.ds, spec.ds - half, side="left")
    hi = np.searchsorted(spec.ds, spec.ds + half, side="left")
    level_now = (total[hi] - total[lo]) / (hi - lo)
    weeks = _weeks_back(spec)
    weights = np.where(weeks < 2 * MAX_WEEKS, 0.5 ** (weeks / HALF_LIFE_WEEKS), 0.0)
    profile, den = _slot_mean(z - level_now, past, weights, n)
    seen = den > 0
    profile = np.where(seen, profile - np.average(profile[seen], weights=den[seen]), 0.0)
    levels = _smooth_level(z - profile[past])
    forecast = levels[-1] + profile[ahead]
    fitted = levels[:-1] + profile[past]
    if log_scale:
        forecast, fitted = np.expm1(np.minimum(forecast, 50.0)), np.expm1(fitted)
    lower, upper = _residual_band(spec, forecast, fitted)
    return finish(spec, forecast, lower, upper, "weekly_profile")
