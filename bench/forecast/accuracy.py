"""WAPE on the held-out last week: OptiCall ``auto`` against the peers, one row per series.

Peers, each as its library's user would run it on the training weeks:
* ``Prophet()`` with its defaults;
* the weekly seasonal naive forecast (the value one week earlier);
* statsforecast ``MSTL`` with the daily and weekly seasons (in points of the series as given:
  open intervals for a business-hours series) and ``AutoETS`` with the daily season.

OptiCall runs through the request path of ``/predict``'s object body (``specs.build_predict``,
then ``engine.forecast``; a job takes the same path by default), with the series' opening
hours where it has them. The goal: ``auto`` below the better of Prophet and seasonal naive,
and below the best statsforecast model, on every series.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from series import Named

Array = np.ndarray[Any, np.dtype[np.float64]]
WEEK = pd.Timedelta(days=7)


def wape(actual: Array, predicted: Array) -> float:
    return float(np.abs(actual - predicted).sum() / np.abs(actual).sum())


@dataclass
class Row:
    series: Named
    scores: dict[str, float]
    seconds: dict[str, float]
    chosen: dict[str, str]


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    cut = frame["ds"].iloc[-1] - WEEK
    return frame[frame["ds"] <= cut], frame[frame["ds"] > cut]


def seasons(train: pd.DataFrame, freq: str) -> tuple[int, int]:
    """Points per day (the most common count of rows per day) and per week, as given."""
    step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    if step >= pd.Timedelta(days=1):
        return 1, 7
    per_day = int(train.groupby(train["ds"].dt.normalize()).size().mode().iloc[0])
    per_week = int(train[train["ds"] > train["ds"].iloc[-1] - WEEK].shape[0])
    return per_day, per_week


def prophet(train: pd.DataFrame, test: pd.DataFrame) -> Array:
    from prophet import Prophet

    model = Prophet(uncertainty_samples=0)  # the point forecast is the same with samples
    model.fit(train)
    return np.asarray(model.predict(test[["ds"]])["yhat"], dtype=np.float64)


def seasonal_naive(train: pd.DataFrame, test: pd.DataFrame) -> Array:
    past = train.set_index("ds")["y"]
    return past.reindex(test["ds"] - WEEK).fillna(past.mean()).to_numpy(dtype=np.float64)


def mstl(train: pd.DataFrame, test: pd.DataFrame, freq: str) -> Array:
    from statsforecast.models import MSTL

    day, week = seasons(train, freq)
    lengths = [s for s in (day, week) if s > 1 and len(train) >= 2 * s]
    out = MSTL(season_length=lengths).forecast(y=train["y"].to_numpy(), h=len(test))
    return np.asarray(out["mean"], dtype=np.float64)


def autoets(train: pd.DataFrame, test: pd.DataFrame, freq: str) -> Array:
    from statsforecast.models import AutoETS

    day, week = seasons(train, freq)
    season = week if day == 1 else day
    out = AutoETS(season_length=season).forecast(y=train["y"].to_numpy(), h=len(test))
    return np.asarray(out["mean"], dtype=np.float64)


def opticall(train: pd.DataFrame, test: pd.DataFrame, named: Named) -> tuple[Array, str]:
    from opticall_forecasting.config import Settings
    from opticall_forecasting.engine import forecast
    from opticall_forecasting.specs import build_predict, limits_from

    settings = Settings(OPTICALL_ENV="test")
    body: dict[str, Any] = {
        "history": [
            {"ds": ts.isoformat(), "y": float(y)}
            for ts, y in zip(train["ds"], train["y"], strict=True)
        ],
        "future": [ts.isoformat() for ts in test["ds"]],
        "freq": named.freq,
    }
    if named.open_hours is not None:
        body["open_hours"] = named.open_hours
    request = build_predict(body, None, None, None, None, limits_from(settings))
    # A job adds settings.job_extra_candidates (none by default): the same choice.
    outcome = forecast(request.spec, request.model, settings.backtest_folds)
    predicted = pd.Series(outcome.forecast.yhat, index=pd.DatetimeIndex(request.spec.future))
    return predicted.reindex(test["ds"]).fillna(0.0).to_numpy(dtype=np.float64), outcome.model


def measure(named: Named) -> Row:
    warnings.simplefilter("ignore")
    logging.getLogger("cmdstanpy").disabled = True
    train, test = split(named.frame)
    actual = test["y"].to_numpy(dtype=np.float64)
    scores: dict[str, float] = {}
    seconds: dict[str, float] = {}
    chosen: dict[str, str] = {}
    runs = {
        "auto": lambda: opticall(train, test, named),
        "Prophet()": lambda: (prophet(train, test), ""),
        "seasonal naive": lambda: (seasonal_naive(train, test), ""),
        "MSTL": lambda: (mstl(train, test, named.freq), ""),
        "AutoETS": lambda: (autoets(train, test, named.freq), ""),
    }
    for name, run in runs.items():
        started = time.perf_counter()
        predicted, model = run()
        seconds[name] = time.perf_counter() - started
        scores[name] = wape(actual, predicted)
        if model:
            chosen[name] = model
    return Row(named, scores, seconds, chosen)
