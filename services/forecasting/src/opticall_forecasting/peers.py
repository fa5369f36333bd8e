"""statsforecast's peers, MSTL and AutoETS, on the series' open intervals.

A business-hours series is fitted on its open intervals only, in order (closed hours are not
zeros to be fitted): the seasons are the open intervals per day and per week, when every open
day has as many. Gaps inside open hours are missing data, filled by interpolation for these
models alone, which need a complete sequence.

statsforecast compiles its numba kernels on import (about ten seconds); it is imported here
lazily, once per pool process (``pool.warm_statsforecast`` does it in the background).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from opticall_forecasting.fitting import DAY, WEEK, Array, FitSpec, Forecast, finish, week_slots
from opticall_forecasting.profiles import ModelUnavailable


@dataclass(frozen=True)
class OpenSequence:
    """The history on the grid of open intervals, and where each future point falls on it."""

    y: Array
    ahead: np.ndarray[Any, np.dtype[np.int64]]
    seasons: list[int]


def open_sequence(spec: FitSpec) -> OpenSequence:
    if spec.step is None:
        raise ModelUnavailable("needs a fixed frequency")
    step = np.timedelta64(int(spec.step * 1e9), "ns")
    end = max(spec.ds[-1], spec.future.max()) if len(spec.future) else spec.ds[-1]
    grid = np.arange(spec.ds[0], end + step, step)
    # Open: a time-of-week slot the history has seen (closed ones were dropped before).
    open_slots = np.zeros(int(np.ceil(WEEK / spec.step)), dtype=bool)
    open_slots[week_slots(spec.ds, spec)] = True
    grid = grid[open_slots[week_slots(grid, spec)]]
    history = grid[grid <= spec.ds[-1]]
    values = pd.Series(spec.y, index=pd.DatetimeIndex(spec.ds)).reindex(pd.DatetimeIndex(history))
    filled = values.interpolate(limit_direction="both").to_numpy(dtype=np.float64)
    position = np.searchsorted(grid, spec.future)
    if (grid[np.minimum(position, len(grid) - 1)] != spec.future).any():
        raise ModelUnavailable("forecasts only open grid points")
    ahead = position - len(history) + 1
    if (ahead < 1).any():
        raise ModelUnavailable("forecasts only points after the history")
    per_week = int(open_slots.sum())
    days = week_slots(grid[:per_week], spec) // int(DAY / spec.step)
    per_day = np.bincount(days)
    per_day = per_day[per_day > 0]
    seasons = []
    if per_day.size and (per_day == per_day[0]).all() and per_day[0] > 1:
        seasons.append(int(per_day[0]))
    if per_week > (seasons[0] if seasons else 1):
        seasons.append(per_week)
    seasons = [s for s in seasons if len(filled) >= 2 * s]
    return OpenSequence(y=filled, ahead=ahead.astype(np.int64), seasons=seasons)


def _log_fit(spec: FitSpec, seq: OpenSequence, model: Any, name: str) -> Forecast:
    log_scale = spec.nonnegative
    out = model.forecast(
        y=np.log1p(seq.y) if log_scale else seq.y, h=int(seq.ahead.max()), level=[80]
    )
    idx = seq.ahead - 1
    cols = [np.asarray(out[k], dtype=np.float64)[idx] for k in ("mean", "lo-80", "hi-80")]
    if log_scale:
        cols = [np.expm1(np.minimum(c, 50.0)) for c in cols]
    return finish(spec, cols[0], cols[1], cols[2], name)


def mstl(spec: FitSpec) -> Forecast:
    """statsforecast MSTL (daily + weekly seasons, AutoETS trend) on the log scale."""
    seq = open_sequence(spec)
    if not seq.seasons:
        raise ModelUnavailable("MSTL needs two full seasons of history")
    from statsforecast.models import MSTL, AutoETS

    model = MSTL(season_length=seq.seasons, trend_forecaster=AutoETS(model="ZZN"))
    return _log_fit(spec, seq, model, "mstl")


def autoets(spec: FitSpec) -> Forecast:
    """statsforecast AutoETS with the daily season (ETS cannot carry a weekly one of hundreds
    of intervals), on the log scale."""
    seq = open_sequence(spec)
    if len(seq.y) < 10:
        raise ModelUnavailable("AutoETS needs at least 10 points")
    from statsforecast.models import AutoETS

    season = seq.seasons[0] if seq.seasons and seq.seasons[0] <= 48 else 1
    return _log_fit(spec, seq, AutoETS(season_length=season), "autoets")
