"""``/predict``: from the seed's body (a list, or an object with options) to a fit spec."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

import numpy as np
import pandas as pd

from opticall_forecasting.fitting import FitSpec, Forecast
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


def check_country(code: str | None, field: str = "country") -> str | None:
    if code is None:
        return None
    import holidays

    upper = code.strip().upper()
    if upper not in holidays.list_supported_countries():
        raise SeriesError(field, f"no holiday calendar for country {code!r}")
    return upper


def _periods(value: Any, field: str, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SeriesError(field, "must be an integer")
    if value < 1:
        raise SeriesError(field, "must be at least 1")
    if value > limit:
        raise SeriesError(field, f"horizon too large: {value} > {limit}")
    return value


def build_spec(
    body: Any,
    periods: int | None,
    freq: str | None,
    country: str | None,
    limits: Limits,
) -> tuple[FitSpec, str]:
    """Validate a ``/predict`` body and query; returns the fit spec and the frequency used."""
    future_raw: Any = None
    if isinstance(body, dict):
        if "history" not in body:
            raise SeriesError("body.history", "field required")
        history_field = "body.history"
        series = parse_points(body["history"], history_field, limits.max_points)
        periods = body.get("periods", periods)
        periods_field = "body.periods"
        freq = body.get("freq", freq)
        country = body.get("country", country)
        future_raw = body.get("future")
    else:
        series = parse_points(body, "body", limits.max_points)
        periods_field = "periods"
    if freq is not None and not isinstance(freq, str):
        raise SeriesError("freq", "must be a string such as 'D', 'h' or '15min'")
    used = normalize_freq(freq) if freq else infer_freq(series.ds)
    if future_raw is not None:
        future = parse_times(future_raw, "body.future", limits.max_periods)
    else:
        count = _periods(7 if periods is None else periods, periods_field, limits.max_periods)
        future = future_index(series.ds[-1], used, count, periods_field)
    spec = spec_from(
        series,
        future,
        used,
        check_country(country) or limits.default_country,
        limits.uncertainty_samples,
    )
    return spec, used


def spec_from(
    series: Series,
    future: pd.DatetimeIndex,
    freq: str,
    country: str | None,
    uncertainty_samples: int,
) -> FitSpec:
    return FitSpec(
        ds=series.ds.to_numpy(dtype="datetime64[ns]"),
        y=series.y,
        future=future.to_numpy(dtype="datetime64[ns]"),
        step=step_seconds(freq),
        country=country,
        uncertainty_samples=uncertainty_samples,
    )


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
