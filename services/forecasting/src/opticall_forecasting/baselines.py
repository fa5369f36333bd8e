"""Peer models for the backtest: seasonal naive (weekly, daily) and statsforecast's MSTL.

statsforecast compiles its numba kernels on import (about ten seconds); it is imported here
lazily, once per pool process (``pool.warm_statsforecast`` does it in the background).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from opticall_forecasting.fitting import DAY, WEEK, Array, FitSpec, Forecast, finish


class ModelUnavailable(ValueError):
    """The history is too short or irregular for this model."""


def seasonal_naive(spec: FitSpec, period_seconds: float, name: str) -> Forecast:
    """Each future point repeats the latest observed value one (or more) periods earlier."""
    if spec.span_seconds < period_seconds:
        raise ModelUnavailable(f"{name} needs at least one full season of history")
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
    # Interval from the in-sample errors of the same rule (one season back).
    lagged = hist.reindex(hist.index - period).to_numpy(dtype=np.float64)
    errors = (spec.y - lagged)[~np.isnan(lagged)]
    lo, hi = np.quantile(errors, [0.1, 0.9]) if errors.size else (0.0, 0.0)
    return finish(spec, yhat, yhat + lo, yhat + hi, name)


def _regular(spec: FitSpec) -> tuple[Array, np.ndarray[Any, np.dtype[np.int64]]]:
    """History on a full regular grid (gaps = closed = 0) and future positions on it."""
    if spec.step is None:
        raise ModelUnavailable("MSTL needs a fixed frequency")
    step = np.timedelta64(int(spec.step * 1e9), "ns")
    grid = np.arange(spec.ds[0], spec.ds[-1] + step, step)
    values = pd.Series(spec.y, index=pd.DatetimeIndex(spec.ds)).reindex(pd.DatetimeIndex(grid))
    ahead = (spec.future - spec.ds[-1]) / step
    if (ahead <= 0).any() or not np.allclose(ahead, np.round(ahead)):
        raise ModelUnavailable("MSTL forecasts only grid points after the history")
    return values.fillna(0.0).to_numpy(dtype=np.float64), np.round(ahead).astype(np.int64)


def mstl(spec: FitSpec) -> Forecast:
    """statsforecast MSTL (daily + weekly seasons, AutoETS trend) on the log scale."""
    y, ahead = _regular(spec)
    assert spec.step is not None
    seasons = [
        round(p / spec.step) for p in (DAY, WEEK) if p > spec.step and len(y) >= 2 * p / spec.step
    ]
    if not seasons:
        raise ModelUnavailable("MSTL needs two full seasons of history")
    from statsforecast.models import MSTL, AutoETS

    log_scale = spec.nonnegative
    model = MSTL(season_length=seasons, trend_forecaster=AutoETS(model="ZZN"))
    out = model.forecast(y=np.log1p(y) if log_scale else y, h=int(ahead.max()), level=[80])
    idx = ahead - 1
    cols = [np.asarray(out[k], dtype=np.float64)[idx] for k in ("mean", "lo-80", "hi-80")]
    if log_scale:
        cols = [np.expm1(np.minimum(c, 50.0)) for c in cols]
    return finish(spec, cols[0], cols[1], cols[2], "mstl")
