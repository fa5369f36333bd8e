"""The contact-center Prophet model and the helpers every model shares.

Why this configuration (measured on the real 15-minute month in ``bench/forecast``):

* **log1p transform** for non-negative series: call volume is multiplicative (a busy Monday
  scales the whole intraday curve), which additive seasonality on the log scale captures; it
  also keeps the back-transformed forecast from going negative.
* **daily seasonality conditional on weekday/weekend** for intraday data: the intraday curve
  of a Saturday is not a scaled Tuesday.
* **few changepoints, MAP fit, modest uncertainty samples**: a fit stays as cheap as a plain
  default Prophet fit, so ``/predict`` costs about one bare fit.
* **closed hours**: a time-of-week slot that never had a contact forecasts 0.

Functions here run inside pool worker processes: inputs and outputs are plain picklable data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

Array = np.ndarray[Any, np.dtype[np.float64]]

DAY = 86_400.0
WEEK = 7 * DAY
DAILY_ORDER = 8
WEEKLY_ORDER = 3
N_CHANGEPOINTS = 10
CHANGEPOINT_PRIOR = 0.1


def quiet_logs() -> None:
    """cmdstanpy logs two INFO lines per fit and prophet complains about plotly: silence them."""
    for name in ("cmdstanpy", "prophet", "prophet.plot"):
        logging.getLogger(name).setLevel(logging.ERROR)
    logging.getLogger("cmdstanpy").disabled = True


@dataclass(frozen=True)
class FitSpec:
    """What to fit: history (UTC, sorted, unique) and the timestamps to forecast."""

    ds: np.ndarray[Any, np.dtype[np.datetime64]]
    y: Array
    future: np.ndarray[Any, np.dtype[np.datetime64]]
    step: float | None  # seconds per step; None for calendar frequencies (months)
    country: str | None = None
    uncertainty_samples: int = 200
    # The queue's time zone (from its opening hours): time-of-week slots follow its clock.
    timezone: str | None = None
    # Time-of-week slots known to be closed whose (zero) history was dropped before fitting.
    closed: np.ndarray[Any, np.dtype[np.bool_]] | None = None

    @property
    def span_seconds(self) -> float:
        return float((self.ds[-1] - self.ds[0]) / np.timedelta64(1, "s"))

    @property
    def intraday(self) -> bool:
        return self.step is not None and self.step < DAY

    @property
    def nonnegative(self) -> bool:
        return bool((self.y >= 0).all())


@dataclass
class Forecast:
    yhat: Array
    lower: Array
    upper: Array
    model: str = "prophet"
    extra: dict[str, Any] = field(default_factory=dict)


def finite(values: Array, fallback: float = 0.0) -> Array:
    """NaN or inf must never reach JSON."""
    return np.nan_to_num(values, nan=fallback, posinf=fallback, neginf=fallback)


def finish(spec: FitSpec, yhat: Array, lower: Array, upper: Array, model: str) -> Forecast:
    """Common post-processing: finite values, ordered bounds, no negatives, closed hours."""
    yhat, lower, upper = finite(yhat), finite(lower), finite(upper)
    lower = np.minimum(lower, yhat)
    upper = np.maximum(upper, yhat)
    if spec.nonnegative:
        yhat, lower, upper = (np.clip(a, 0.0, None) for a in (yhat, lower, upper))
        closed = closed_slots(spec)
        if closed is not None:
            yhat, lower, upper = (np.where(closed, 0.0, a) for a in (yhat, lower, upper))
    return Forecast(yhat=yhat, lower=lower, upper=upper, model=model)


# 1970-01-05 was a Monday.
MONDAY = np.datetime64("1970-01-05")


def local_seconds(stamps: np.ndarray[Any, Any], tz: str | None) -> Array:
    """Seconds since a Monday 00:00 in local time (UTC without a zone): a queue's daily curve
    follows its own clock across daylight-saving changes."""
    if tz:
        local = pd.DatetimeIndex(stamps).tz_localize("UTC").tz_convert(tz).tz_localize(None)
        stamps = local.to_numpy(dtype="datetime64[ns]")
    return np.asarray((stamps - MONDAY) / np.timedelta64(1, "s"), dtype=np.float64)


def week_slots(
    stamps: np.ndarray[Any, Any], spec: FitSpec, period: float = WEEK
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Each timestamp's slot within the period (a week by default), in steps of the series."""
    assert spec.step is not None
    return np.floor((local_seconds(stamps, spec.timezone) % period) / spec.step).astype(np.int64)


def closed_slots(spec: FitSpec) -> np.ndarray[Any, np.dtype[np.bool_]] | None:
    """Future points in a time-of-week slot that never had a contact.

    A slot is closed when it was seen at least twice and always at zero, or, once the history
    covers two full weeks, when it was never seen at all (a business-hours feed has no rows
    at night). Only for intraday series, where opening hours exist.
    """
    if not spec.intraday or spec.step is None or len(spec.y) < 2:
        return None
    n_slots = int(np.ceil(WEEK / spec.step))
    hist = week_slots(spec.ds, spec)
    counts = np.bincount(hist, minlength=n_slots)
    nonzero = np.bincount(hist, weights=(spec.y > 0).astype(np.float64), minlength=n_slots)
    closed = (counts >= 2) & (nonzero == 0)
    if spec.closed is not None and len(spec.closed) == n_slots:
        closed |= spec.closed
    if spec.span_seconds >= 2 * WEEK:
        closed |= counts == 0
    return np.asarray(closed[week_slots(spec.future, spec)], dtype=np.bool_)


def constant_forecast(spec: FitSpec) -> Forecast | None:
    """A flat series forecasts itself; Prophet would only add noise (or fail on zeros)."""
    if np.ptp(spec.y) > 0:
        return None
    level = np.full(len(spec.future), float(spec.y[0]))
    return finish(spec, level, level.copy(), level.copy(), "constant")


def _weekend(stamps: pd.Series) -> pd.Series:
    return stamps.dt.day_of_week >= 5


def build_prophet(spec: FitSpec, frame: pd.DataFrame) -> Any:
    """A Prophet model whose seasonalities match what the history can support."""
    quiet_logs()
    from prophet import Prophet

    from opticall_forecasting.stan import OrjsonCmdStanBackend

    span = spec.span_seconds
    model = Prophet(
        growth="linear",
        yearly_seasonality=span >= 730 * DAY,
        weekly_seasonality=False,
        daily_seasonality=False,
        n_changepoints=max(0, min(N_CHANGEPOINTS, len(spec.y) - 2)),
        changepoint_prior_scale=CHANGEPOINT_PRIOR,
        uncertainty_samples=spec.uncertainty_samples,
        interval_width=0.8,
    )
    model.stan_backend = OrjsonCmdStanBackend()
    if span >= 2 * WEEK and (spec.step is None or spec.step <= DAY):
        model.add_seasonality("weekly", period=7, fourier_order=WEEKLY_ORDER)
    if spec.intraday and span >= 2 * DAY and spec.step is not None:
        order = max(1, min(DAILY_ORDER, int(DAY / spec.step) // 2))
        weekend = _weekend(frame["ds"])
        if span >= 2 * WEEK and weekend.any() and (~weekend).any():
            model.add_seasonality("daily_weekday", 1, order, condition_name="weekday")
            model.add_seasonality("daily_weekend", 1, order, condition_name="weekend")
        else:
            model.add_seasonality("daily", period=1, fourier_order=order)
    if spec.country:
        model.add_country_holidays(country_name=spec.country)
    return model


def _with_conditions(frame: pd.DataFrame) -> pd.DataFrame:
    weekend = _weekend(frame["ds"])
    return frame.assign(weekend=weekend, weekday=~weekend)


def _features_once(model: Any) -> None:
    """Prophet's ``predict`` builds the future's seasonality features twice from one frame
    (for the components, then for the uncertainty samples): build them once. Same values."""
    build = model.make_all_seasonality_features
    memo: dict[int, tuple[pd.DataFrame, Any]] = {}

    def once(frame: pd.DataFrame) -> Any:
        hit = memo.get(id(frame))
        if hit is None or hit[0] is not frame:
            hit = memo[id(frame)] = (frame, build(frame))
        return hit[1]

    model.make_all_seasonality_features = once


def fit_prophet(spec: FitSpec) -> Forecast:
    """Fit the contact-center Prophet model (MAP, no MCMC) and forecast ``spec.future``."""
    flat = constant_forecast(spec)
    if flat is not None:
        return flat
    log_scale = spec.nonnegative
    train = _with_conditions(
        pd.DataFrame({"ds": spec.ds, "y": np.log1p(spec.y) if log_scale else spec.y})
    )
    model = build_prophet(spec, train)
    model.fit(train)
    _features_once(model)
    out = model.predict(_with_conditions(pd.DataFrame({"ds": spec.future})))
    # Without uncertainty samples Prophet leaves out yhat_lower/upper: the bounds are yhat.
    names = ("yhat", "yhat_lower", "yhat_upper") if spec.uncertainty_samples else ("yhat",) * 3
    cols = [out[c].to_numpy(dtype=np.float64, copy=True) for c in names]
    if log_scale:
        # Clamp before expm1: a runaway trend must not overflow to inf.
        cols = [np.expm1(np.minimum(c, 50.0)) for c in cols]
    return finish(spec, cols[0], cols[1], cols[2], "prophet")
