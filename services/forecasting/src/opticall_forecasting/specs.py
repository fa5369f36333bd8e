"""From a request (``/predict``'s body and query, or a forecast job) to a fit spec.

Both paths validate here, so they accept the same things and refuse them with the same 422s:
``model``, ``freq``, ``periods`` or explicit ``future`` timestamps, ``open_hours`` and the
holidays ``country``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from opticall_forecasting.config import Settings
from opticall_forecasting.engine import MODEL_NAMES
from opticall_forecasting.fitting import WEEK, FitSpec, Forecast, week_slots
from opticall_forecasting.open_hours import OpenHours, parse_open_hours
from opticall_forecasting.series import (
    Series,
    SeriesError,
    future_index,
    infer_freq,
    normalize_freq,
    parse_points,
    parse_times,
    step_seconds,
)


@dataclass(frozen=True)
class Limits:
    max_points: int
    max_periods: int
    uncertainty_samples: int
    default_country: str | None = None


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_points=settings.max_points,
        max_periods=settings.max_periods,
        uncertainty_samples=settings.uncertainty_samples,
        default_country=settings.default_country,
    )


def check_country(code: str | None, field: str = "country") -> str | None:
    if code is None:
        return None
    import holidays

    upper = code.strip().upper()
    if upper not in holidays.list_supported_countries():
        raise SeriesError(field, f"no holiday calendar for country {code!r}")
    return upper


def check_model(name: Any, field: str = "model") -> str:
    if not isinstance(name, str) or name not in MODEL_NAMES:
        raise SeriesError(field, f"unknown model {name!r}; use one of: {', '.join(MODEL_NAMES)}")
    return name


def check_open_hours(raw: Any, field: str = "open_hours") -> OpenHours:
    try:
        return parse_open_hours(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
        raise SeriesError(field + where, str(err["msg"])) from exc


def _periods(value: Any, field: str, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SeriesError(field, "must be an integer")
    if value < 1:
        raise SeriesError(field, "must be at least 1")
    if value > limit:
        raise SeriesError(field, f"horizon too large: {value} > {limit}")
    return value


@dataclass(frozen=True)
class Horizon:
    """What to forecast: ``periods`` steps after the history, or explicit ``future`` times."""

    periods: Any = None
    future: Any = None
    periods_field: str = "periods"
    future_field: str = "future"


def make_spec(
    series: Series,
    freq: str | None,
    horizon: Horizon,
    open_hours: OpenHours | None,
    country: str | None,
    limits: Limits,
    freq_field: str = "freq",
) -> tuple[FitSpec, str]:
    """The fit spec for a validated series; returns it and the frequency used.

    With ``open_hours`` the history keeps its open intervals only, ``periods`` counts open
    intervals and explicit ``future`` times in closed hours are left out (not forecast).
    """
    if freq is not None and not isinstance(freq, str):
        raise SeriesError(freq_field, "must be a string such as 'D', 'h' or '15min'")
    used = normalize_freq(freq, freq_field) if freq else infer_freq(series.ds)
    ds, y = series.ds, series.y
    if open_hours is not None:
        keep = open_hours.is_open(ds.to_numpy(dtype="datetime64[ns]"))
        ds, y = ds[keep], y[keep]
        if len(y) < 2:
            raise SeriesError("open_hours", "fewer than 2 history points fall in opening hours")
    if horizon.future is not None:
        future = parse_times(horizon.future, horizon.future_field, limits.max_periods)
        if open_hours is not None:
            future = future[open_hours.is_open(future.to_numpy(dtype="datetime64[ns]"))]
            if not len(future):
                raise SeriesError(horizon.future_field, "no timestamp falls in opening hours")
    else:
        count = _periods(
            7 if horizon.periods is None else horizon.periods,
            horizon.periods_field,
            limits.max_periods,
        )
        if open_hours is not None:
            future = open_hours.next_open(ds[-1], used, count)
        else:
            future = future_index(ds[-1], used, count, horizon.periods_field)
    spec = FitSpec(
        ds=ds.to_numpy(dtype="datetime64[ns]"),
        y=y,
        future=future.to_numpy(dtype="datetime64[ns]"),
        step=step_seconds(used),
        country=check_country(country) or limits.default_country,
        uncertainty_samples=limits.uncertainty_samples,
        timezone=open_hours.timezone if open_hours is not None else None,
    )
    return without_closed_history(spec), used


def without_closed_history(spec: FitSpec) -> FitSpec:
    """Drop history in time-of-week slots that were seen at least twice and always at zero:
    those are closed hours (a feed that writes zero rows at night), not demand to fit."""
    if not spec.intraday or spec.step is None or not spec.nonnegative:
        return spec
    slot = week_slots(spec.ds, spec)
    n_slots = int(np.ceil(WEEK / spec.step))
    counts = np.bincount(slot, minlength=n_slots)
    busy = np.bincount(slot, weights=(spec.y > 0).astype(np.float64), minlength=n_slots)
    closed = (counts >= 2) & (busy == 0)
    keep = ~closed[slot]
    if keep.all() or keep.sum() < 2:
        return spec
    return FitSpec(
        ds=spec.ds[keep],
        y=spec.y[keep],
        future=spec.future,
        step=spec.step,
        country=spec.country,
        uncertainty_samples=spec.uncertainty_samples,
        timezone=spec.timezone,
        closed=closed,
    )


@dataclass(frozen=True)
class PredictRequest:
    spec: FitSpec
    freq: str
    model: str
    # The seed's list body keeps its latency budget: its default Prophet is not backtested.
    backtest: bool


def build_predict(
    body: Any,
    periods: int | None,
    freq: str | None,
    country: str | None,
    model: str | None,
    limits: Limits,
) -> PredictRequest:
    """Validate a ``/predict`` body (the seed's list, or an object with options) and query."""
    if isinstance(body, dict):
        if "history" not in body:
            raise SeriesError("body.history", "field required")
        series = parse_points(body["history"], "body.history", limits.max_points)
        chosen = check_model(body.get("model", model or "auto"), "body.model")
        raw_hours = body.get("open_hours")
        hours = check_open_hours(raw_hours, "body.open_hours") if raw_hours is not None else None
        horizon = Horizon(
            periods=body.get("periods", periods),
            future=body.get("future"),
            periods_field="body.periods",
            future_field="body.future",
        )
        spec, used = make_spec(
            series,
            body.get("freq", freq),
            horizon,
            hours,
            body.get("country", country),
            limits,
        )
        return PredictRequest(spec, used, chosen, backtest=True)
    series = parse_points(body, "body", limits.max_points)
    chosen = check_model(model or "prophet")
    spec, used = make_spec(series, freq, Horizon(periods=periods), None, country, limits)
    return PredictRequest(spec, used, chosen, backtest=model is not None)


def rows(spec: FitSpec, forecast: Forecast) -> list[dict[str, Any]]:
    """The response rows: UTC timestamps and finite numbers only."""
    stamps = pd.DatetimeIndex(spec.future).tz_localize(UTC).to_pydatetime()
    values = np.column_stack([forecast.yhat, forecast.lower, forecast.upper])
    if not np.isfinite(values).all():  # fitting.finish already guarantees this; be certain
        values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    return [
        {"ds": ts, "yhat": float(a), "yhat_lower": float(b), "yhat_upper": float(c)}
        for ts, (a, b, c) in zip(stamps, values.tolist(), strict=True)
    ]
