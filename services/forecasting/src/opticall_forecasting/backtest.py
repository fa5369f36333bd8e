"""Rolling-origin backtests, accuracy metrics and the automatic choice of model per series."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from opticall_forecasting.baselines import ModelUnavailable, mstl, seasonal_naive
from opticall_forecasting.fitting import DAY, WEEK, Array, FitSpec, Forecast, fit_prophet

log = logging.getLogger(__name__)

Metrics = dict[str, float | None]


def _weekly(spec: FitSpec) -> Forecast:
    return seasonal_naive(spec, WEEK, "seasonal_naive_weekly")


def _daily(spec: FitSpec) -> Forecast:
    if not spec.intraday:
        raise ModelUnavailable("a daily season needs intraday data")
    return seasonal_naive(spec, DAY, "seasonal_naive_daily")


# In order of preference when scores tie.
CANDIDATES: dict[str, Callable[[FitSpec], Forecast]] = {
    "prophet": fit_prophet,
    "seasonal_naive_weekly": _weekly,
    "seasonal_naive_daily": _daily,
    "mstl": mstl,
}


def _clean(value: float) -> float | None:
    return value if math.isfinite(value) else None


def accuracy(actual: Array, predicted: Array) -> Metrics:
    """WAPE, MAPE (zero actuals skipped) and RMSE; None where undefined, never NaN."""
    actual = np.asarray(actual, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    if actual.size == 0:
        return {"wape": None, "mape": None, "rmse": None, "n": 0.0}
    err = np.abs(actual - predicted)
    total = float(np.abs(actual).sum())
    nonzero = actual != 0
    return {
        "wape": _clean(float(err.sum()) / total) if total > 0 else None,
        "mape": _clean(float(np.mean(err[nonzero] / np.abs(actual[nonzero]))))
        if nonzero.any()
        else None,
        "rmse": _clean(float(np.sqrt(np.mean(err**2)))),
        "n": float(actual.size),
    }


def horizon_for(spec: FitSpec, periods: int) -> int:
    """One day of intraday data, one week of daily data, else a tenth of the history."""
    if spec.step is not None and spec.step < DAY:
        season = round(DAY / spec.step)
    elif spec.step == DAY:
        season = 7
    else:
        season = max(1, len(spec.y) // 10)
    return max(1, min(periods, season))


def backtest(
    spec: FitSpec, fit: Callable[[FitSpec], Forecast], folds: int, horizon: int
) -> Metrics | None:
    """Pooled metrics over ``folds`` consecutive hold-outs of ``horizon`` points at the end."""
    actual: list[Array] = []
    predicted: list[Array] = []
    n = len(spec.y)
    for k in range(folds, 0, -1):
        cut = n - k * horizon
        if cut < max(2, 2 * horizon):
            continue
        train = replace(spec, ds=spec.ds[:cut], y=spec.y[:cut], future=spec.ds[cut : cut + horizon])
        try:
            out = fit(train)
        except ModelUnavailable:
            return None
        actual.append(spec.y[cut : cut + horizon])
        predicted.append(out.yhat)
    if not actual:
        return None
    return accuracy(np.concatenate(actual), np.concatenate(predicted))


def _score(item: tuple[str, Metrics]) -> tuple[int, float, int]:
    name, m = item
    value = m.get("wape")
    if value is None:
        value = m.get("rmse")
    order = list(CANDIDATES).index(name)
    return (0, value, order) if value is not None else (1, 0.0, order)


@dataclass
class JobOutcome:
    forecast: Forecast
    model: str
    accuracy: Metrics | None
    candidates: dict[str, Metrics]
    folds: int
    horizon: int


def choose_and_forecast(spec: FitSpec, folds: int, periods: int) -> JobOutcome:
    """Backtest every candidate, pick the lowest WAPE, refit it on all history, forecast."""
    horizon = horizon_for(spec, periods)
    scores: dict[str, Metrics] = {}
    for name, fit in CANDIDATES.items():
        try:
            result = backtest(spec, fit, folds, horizon)
        except Exception:
            # One failing peer must not fail the job; the others still compete.
            log.exception("backtest of %s failed", name)
            continue
        if result is not None:
            scores[name] = result
    best = min(scores.items(), key=_score)[0] if scores else "prophet"
    try:
        forecast = CANDIDATES[best](spec)
    except ModelUnavailable:
        best, forecast = "prophet", fit_prophet(spec)
    return JobOutcome(
        forecast=forecast,
        model=best,
        accuracy=scores.get(best),
        candidates=scores,
        folds=folds,
        horizon=horizon,
    )


def as_json(outcome: JobOutcome) -> dict[str, Any]:
    """The accuracy report stored with a job and shown by ``GET /forecasts/{id}``."""
    return {
        "model": outcome.model,
        "method": "rolling-origin backtest",
        "folds": outcome.folds,
        "horizon": outcome.horizon,
        **(outcome.accuracy or {}),
        "candidates": outcome.candidates,
    }
