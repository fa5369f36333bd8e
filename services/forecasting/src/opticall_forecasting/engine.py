"""The one forecasting engine behind ``/predict`` and forecast jobs: named models, rolling-origin
backtests, forecast combinations and the automatic choice among them.

``auto`` backtests every candidate at the horizon the caller asked for, over several origins
(the last ``folds`` windows of that length), adds two combinations of the three best (their
median, and their mean weighted by inverse backtest WAPE: combinations are hard to beat on
call arrivals), and forecasts with the lowest pooled WAPE. A model the history cannot support
(too short, no fixed step) is reported as excluded with the reason, never an error.

Functions here run inside pool worker processes: inputs and outputs are plain picklable data.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from opticall_forecasting.fitting import DAY, WEEK, Array, FitSpec, Forecast, finish, fit_prophet
from opticall_forecasting.peers import autoets, mstl
from opticall_forecasting.profiles import (
    ModelUnavailable,
    seasonal_naive_daily,
    seasonal_naive_weekly,
    weekly_average,
    weekly_profile,
)

log = logging.getLogger(__name__)

Metrics = dict[str, Any]
Fit = Callable[[FitSpec], Forecast]

MODELS: dict[str, Fit] = {
    "prophet": fit_prophet,
    "weekly_profile": weekly_profile,
    "weekly_average": weekly_average,
    "seasonal_naive_weekly": seasonal_naive_weekly,
    "seasonal_naive_daily": seasonal_naive_daily,
    "mstl": mstl,
    "autoets": autoets,
}
AUTO = "auto"
# Every value ``model`` accepts.
MODEL_NAMES = (AUTO, *MODELS)
# What ``auto`` backtests: the fast models (milliseconds) and Prophet. On intraday data
# statsforecast's MSTL and AutoETS cost seconds per fit, which several origins multiply past
# /predict's budget (jobs may add them: settings ``job_extra_candidates``); on daily data
# AutoETS with its weekly season is cheap and strong (Hyndman's ETS), so it competes there.
AUTO_CANDIDATES = (
    "weekly_profile",
    "weekly_average",
    "seasonal_naive_weekly",
    "seasonal_naive_daily",
    "prophet",
)
DAILY_CANDIDATES = ("autoets",)
MEDIAN, WEIGHTED = "median_top3", "weighted_top3"
EVALUATION_SPAN = 2 * WEEK
MIN_TRAIN_SPAN = 2 * WEEK
COMBINATION_MARGIN = 0.05
# Models whose fit runs mostly outside Python (cmdstan): their backtest folds run in threads.
SUBPROCESS_FITS = frozenset({"prophet"})
TOP = 3


def _clean(value: float) -> float | None:
    return value if math.isfinite(value) else None


def accuracy(actual: Array, predicted: Array) -> Metrics:
    """WAPE, MAPE (zero actuals skipped) and RMSE; None where undefined, never NaN."""
    actual = np.asarray(actual, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    if actual.size == 0:
        return {"wape": None, "mape": None, "rmse": None, "n": 0}
    err = np.abs(actual - predicted)
    total = float(np.abs(actual).sum())
    nonzero = actual != 0
    return {
        "wape": _clean(float(err.sum()) / total) if total > 0 else None,
        "mape": _clean(float(np.mean(err[nonzero] / np.abs(actual[nonzero]))))
        if nonzero.any()
        else None,
        "rmse": _clean(float(np.sqrt(np.mean(err**2)))),
        "n": int(actual.size),
    }


@dataclass(frozen=True)
class Fold:
    cut: int
    actual: Array


def folds_for(spec: FitSpec, count: int, horizon: int) -> list[Fold]:
    """The last ``count`` windows of ``horizon`` points, each forecast from the history before
    it; a window needs at least 40% of the history (and two points) before it.

    Windows stop once they cover two weeks: that many points already rank the candidates, and
    each window more costs every candidate a fit (a week ahead is backtested twice, not three
    times, which keeps ``/predict?model=auto`` within its latency budget)."""
    n = len(spec.y)
    if 0 < horizon < n:
        window = (spec.ds[-1] - spec.ds[n - horizon]) / np.timedelta64(1, "s") + (spec.step or 0)
        if window > 0:
            count = max(1, min(count, math.ceil(EVALUATION_SPAN / window)))
    # Models take their shape from the history's length (Prophet fits a weekly season only
    # from two weeks on): a window is judged only with as much history as the final fit
    # will have in kind, two weeks when the whole history has them.
    least = max(2, int(0.4 * n))
    if spec.span_seconds >= MIN_TRAIN_SPAN:
        two_weeks = spec.ds[0] + np.timedelta64(int(MIN_TRAIN_SPAN), "s")
        least = max(least, int(np.searchsorted(spec.ds, two_weeks)))
    out = []
    for k in range(count, 0, -1):
        cut = n - k * horizon
        if cut >= least:
            out.append(Fold(cut=cut, actual=spec.y[cut : cut + horizon]))
    return out


def _train(spec: FitSpec, fold: Fold, horizon: int) -> FitSpec:
    # Backtests need the point forecast only: no uncertainty samples (Prophet's slowest part).
    return replace(
        spec,
        ds=spec.ds[: fold.cut],
        y=spec.y[: fold.cut],
        future=spec.ds[fold.cut : fold.cut + horizon],
        uncertainty_samples=0,
    )


def _fold_predictions(name: str, spec: FitSpec, folds: Sequence[Fold], horizon: int) -> list[Array]:
    fit = MODELS[name]
    trains = [_train(spec, f, horizon) for f in folds]
    if name not in SUBPROCESS_FITS or len(trains) < 2:
        return [fit(t).yhat for t in trains]
    # Prophet's optimisation runs in a cmdstan subprocess: its folds overlap on another core
    # while this process builds the next fold's features.
    with ThreadPoolExecutor(max_workers=len(trains)) as threads:
        return [f.yhat for f in threads.map(fit, trains)]


def _pooled(folds: Sequence[Fold], predictions: Sequence[Array]) -> Metrics:
    return accuracy(np.concatenate([f.actual for f in folds]), np.concatenate(predictions))


@dataclass
class Outcome:
    forecast: Forecast
    model: str
    accuracy: Metrics | None
    candidates: dict[str, Metrics] = field(default_factory=dict)
    folds: int = 0
    horizon: int = 0
    members: list[str] = field(default_factory=list)


def _backtest(
    spec: FitSpec, names: Sequence[str], folds: Sequence[Fold], horizon: int
) -> tuple[dict[str, list[Array]], dict[str, Metrics]]:
    predictions: dict[str, list[Array]] = {}
    report: dict[str, Metrics] = {}
    for name in names:
        try:
            predictions[name] = _fold_predictions(name, spec, folds, horizon)
        except ModelUnavailable as exc:
            report[name] = {"excluded": str(exc)}
            continue
        except Exception as exc:
            # One failing model must not fail the forecast; the others still compete.
            log.exception("backtest of %s failed", name)
            report[name] = {"excluded": f"failed: {type(exc).__name__}"}
            continue
        report[name] = _pooled(folds, predictions[name])
    return predictions, report


def _wape(metrics: Metrics) -> float:
    value = metrics.get("wape")
    return float(value) if value is not None else math.inf


def _weights(report: dict[str, Metrics], members: Sequence[str]) -> Array:
    inverse = np.array([1.0 / max(_wape(report[m]), 1e-9) for m in members], dtype=np.float64)
    return np.asarray(inverse / inverse.sum(), dtype=np.float64)


def _combine(kind: str, parts: Sequence[Array], weights: Array) -> Array:
    stacked = np.vstack(parts)
    if kind == MEDIAN:
        return np.asarray(np.median(stacked, axis=0), dtype=np.float64)
    return np.asarray(weights @ stacked, dtype=np.float64)


def _combine_forecasts(
    spec: FitSpec, kind: str, members: Sequence[str], weights: Array, errors: Array
) -> Forecast:
    """The combination refitted on all history. Its 80% interval comes from its own backtest
    errors (what it missed by, out of sample), so members need no uncertainty samples."""
    point_only = replace(spec, uncertainty_samples=0)
    yhat = _combine(kind, [MODELS[m](point_only).yhat for m in members], weights)
    low, high = np.quantile(errors, [0.1, 0.9]) if errors.size else (0.0, 0.0)
    return finish(spec, yhat, yhat + low, yhat + high, kind)


def forecast(
    spec: FitSpec, model: str, folds: int, *, extra: Sequence[str] = (), backtest: bool = True
) -> Outcome:
    """Forecast ``spec.future`` with ``model`` (a name of MODELS, or ``auto``).

    A named model is backtested alone (unless ``backtest`` is False: the seed's default Prophet
    path, whose latency budget leaves no room for it); ``auto`` chooses as the module says.
    """
    horizon = max(1, len(spec.future))
    windows = folds_for(spec, folds, horizon) if backtest or model == AUTO else []
    if model != AUTO:
        report: dict[str, Metrics] = {}
        if windows:
            report = _backtest(spec, [model], windows, horizon)[1]
        return Outcome(
            forecast=MODELS[model](spec),
            model=model,
            accuracy=report.get(model),
            candidates=report,
            folds=len(windows),
            horizon=horizon,
        )
    names = list(AUTO_CANDIDATES)
    if spec.step is not None and spec.step >= DAY:
        names += DAILY_CANDIDATES
    names += [e for e in extra if e not in names]
    predictions, report = _backtest(spec, names, windows, horizon) if windows else ({}, {})
    ranked = sorted(predictions, key=lambda n: (_wape(report[n]), names.index(n)))
    members = [n for n in ranked if math.isfinite(_wape(report[n]))][:TOP]
    errors: dict[str, Array] = {}
    weights = _weights(report, members) if members else np.ones(0)
    if len(members) >= 2:
        for kind in (MEDIAN, WEIGHTED):
            combined = [
                _combine(kind, [predictions[m][i] for m in members], weights)
                for i in range(len(windows))
            ]
            report[kind] = {**_pooled(windows, combined), "members": list(members)}
            errors[kind] = np.concatenate([w.actual for w in windows]) - np.concatenate(combined)
    scored = [n for n in report if math.isfinite(_wape(report[n]))]
    if not scored:
        # Nothing could be backtested (a short history): Prophet fits anything.
        for name in names:
            report.setdefault(name, {"excluded": "history too short to backtest"})
        return Outcome(fit_prophet(spec), "prophet", None, report, len(windows), horizon)
    best = _choose(scored, report, [*names, MEDIAN, WEIGHTED])
    if best in (MEDIAN, WEIGHTED):
        result = _combine_forecasts(spec, best, members, weights, errors[best])
        chosen_members = list(members)
    else:
        result, chosen_members = MODELS[best](spec), [best]
    return Outcome(result, best, report[best], report, len(windows), horizon, chosen_members)


def _choose(scored: Sequence[str], report: dict[str, Metrics], order: Sequence[str]) -> str:
    """The lowest backtest WAPE, except that a combination is kept unless a single model
    beats it by more than ``COMBINATION_MARGIN``: a few backtest windows rank close models
    by noise, and combinations are the robust choice among close ones (the "forecast
    combination puzzle"; Taylor 2008 and Ibrahim et al. 2016 for call arrivals)."""
    best = min(scored, key=lambda n: (_wape(report[n]), order.index(n)))
    combos = [n for n in scored if n in (MEDIAN, WEIGHTED)]
    if best in combos or not combos:
        return best
    combo = min(combos, key=lambda n: (_wape(report[n]), order.index(n)))
    if _wape(report[best]) >= (1.0 - COMBINATION_MARGIN) * _wape(report[combo]):
        return combo
    return best


def as_json(outcome: Outcome) -> dict[str, Any]:
    """The accuracy report stored with a job and shown by ``GET /forecasts/{id}``."""
    return {
        "model": outcome.model,
        "chosen": outcome.model,
        "members": outcome.members or [outcome.model],
        "method": "rolling-origin backtest",
        "folds": outcome.folds,
        "horizon": outcome.horizon,
        **(outcome.accuracy or {}),
        "candidates": outcome.candidates,
    }
