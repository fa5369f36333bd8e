"""Reports over stored interval history: service level per interval, forecast accuracy."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from opticall_forecasting.db_models import ForecastJob, HistoryInterval
from opticall_forecasting.engine import accuracy
from opticall_forecasting.series import SeriesError

MAX_BUCKET = pd.Timedelta(days=31)
EPSILON = timedelta(microseconds=1)


def parse_ds(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)


_INTERVAL_RE = re.compile(r"^(\d{1,9})\s*([a-z]+)$")
_INTERVAL_UNITS = {
    **dict.fromkeys(("s", "sec", "second", "seconds"), "s"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "t"), "min"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("d", "day", "days"), "D"),
    **dict.fromkeys(("w", "week", "weeks"), "W"),
}
_INTERVAL_HINT = "a duration such as 15min, 1h or 1d"
INTERVAL_FIELD = "query.interval"


def parse_interval(text: str) -> pd.Timedelta:
    """A report bucket: ``15min``, ``1h``, ``1d`` (any case), or ISO 8601 such as ``PT15M``.

    Every unusable value is a SeriesError naming ``interval``: pandas reads an empty string as
    NaT, warns about some unit spellings and overflows on huge numbers.
    """
    raw = text.strip()
    if not raw:
        raise SeriesError(INTERVAL_FIELD, f"must not be empty; give {_INTERVAL_HINT}")
    match = _INTERVAL_RE.match(raw.lower())
    if match and match.group(2) in _INTERVAL_UNITS:
        raw = match.group(1) + _INTERVAL_UNITS[match.group(2)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            value = pd.Timedelta(raw)
    except (ValueError, TypeError, OverflowError, Warning) as exc:
        raise SeriesError(INTERVAL_FIELD, f"not {_INTERVAL_HINT}: {text!r}") from exc
    if pd.isna(value):  # "nan", "NaT"
        raise SeriesError(INTERVAL_FIELD, f"not {_INTERVAL_HINT}: {text!r}")
    if value < pd.Timedelta(minutes=1) or value > MAX_BUCKET:
        raise SeriesError(INTERVAL_FIELD, "must be between 1min and 31d")
    if value % pd.Timedelta(minutes=1):
        raise SeriesError(INTERVAL_FIELD, "must be a whole number of minutes")
    return value


def _num(value: Any) -> float | None:
    if value is None:
        return None
    out = float(value)
    return out if math.isfinite(out) else None


def _ratio(num: float, den: float) -> float | None:
    return _num(num / den) if den > 0 else None


def _weighted(values: pd.Series, weights: pd.Series) -> float | None:
    mask = values.notna() & weights.notna()
    total = float(weights[mask].sum())
    return _ratio(float((values[mask] * weights[mask]).sum()), total)


def _summarize(group: pd.DataFrame) -> dict[str, Any]:
    offered = float(group["offered"].sum())
    handled = group["handled"].sum(min_count=1)
    abandoned = group["abandoned"].sum(min_count=1)
    weights = group["handled"].fillna(group["offered"])
    sl_rows = group[group["answered_within_sl"].notna()]
    return {
        "offered": offered,
        "handled": _num(handled),
        "abandoned": _num(abandoned),
        "abandonment_rate": _ratio(float(abandoned), offered) if not pd.isna(abandoned) else None,
        "aht_seconds": _weighted(group["aht_seconds"], weights),
        "service_level": _ratio(
            float(sl_rows["answered_within_sl"].sum()), float(sl_rows["offered"].sum())
        )
        if len(sl_rows)
        else None,
        "asa_seconds": _weighted(group["asa_seconds"], weights),
    }


def service_level(rows: Sequence[HistoryInterval], bucket: pd.Timedelta) -> dict[str, Any]:
    """Per queue and bucket: volumes, abandonment, AHT, and SL/ASA where the feed has them."""
    columns = (
        "offered",
        "handled",
        "abandoned",
        "aht_seconds",
        "answered_within_sl",
        "asa_seconds",
    )
    frame = pd.DataFrame(
        {
            "queue": pd.Series([r.queue for r in rows], dtype=object),
            "start": pd.Series([r.interval_start for r in rows], dtype="datetime64[ns, UTC]"),
            **{c: pd.Series([getattr(r, c) for r in rows], dtype=object) for c in columns},
        }
    ).astype({c: "float64" for c in columns})
    out_rows: list[dict[str, Any]] = []
    totals: list[dict[str, Any]] = []
    if rows:
        frame["bucket"] = frame["start"].dt.floor(bucket)
        for (queue, start), group in frame.groupby(["queue", "bucket"], sort=True):
            out_rows.append(
                {"queue": queue, "interval_start": start.to_pydatetime(), **_summarize(group)}
            )
        for queue, group in frame.groupby("queue", sort=True):
            totals.append({"queue": queue, **_summarize(group)})
    return {"interval": _format_bucket(bucket), "rows": out_rows, "totals": totals}


def _format_bucket(bucket: pd.Timedelta) -> str:
    minutes = int(bucket.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}min"


def forecast_accuracy(job: ForecastJob, actuals: Sequence[HistoryInterval]) -> dict[str, Any]:
    """The job's forecast against what happened, per interval and overall."""
    column = "aht_seconds" if job.metric == "aht" else "offered"
    seen = {r.interval_start: getattr(r, column) for r in actuals}
    out_rows = []
    for point in job.points or []:
        ds = parse_ds(point["ds"])
        actual = _num(seen.get(ds))
        out_rows.append(
            {
                "ds": ds,
                "yhat": point["yhat"],
                "yhat_lower": point["yhat_lower"],
                "yhat_upper": point["yhat_upper"],
                "actual": actual,
                "error": None if actual is None else point["yhat"] - actual,
            }
        )
    matched = [r for r in out_rows if r["actual"] is not None]
    metrics = accuracy(
        np.array([r["actual"] for r in matched], dtype=np.float64),
        np.array([r["yhat"] for r in matched], dtype=np.float64),
    )
    return {
        "forecast_id": job.id,
        "queue": job.queue,
        "metric": job.metric,
        "model": job.model,
        "intervals": len(out_rows),
        "matched": len(matched),
        "wape": metrics["wape"],
        "mape": metrics["mape"],
        "rmse": metrics["rmse"],
        "rows": out_rows,
    }


def queue_accuracy(
    queue: str, metric: str, jobs: Sequence[ForecastJob], actuals: Sequence[HistoryInterval]
) -> dict[str, Any]:
    """Stored forecasts of a queue against the actuals that arrived later, per interval.

    Each interval is judged by the most recent finished forecast that covers it and was made
    before the interval began (a forecast made afterwards would be judged on data it saw).
    """
    column = "aht_seconds" if metric == "aht" else "offered"
    seen = {r.interval_start: _num(getattr(r, column)) for r in actuals}
    best: dict[datetime, tuple[datetime, ForecastJob, dict[str, Any]]] = {}
    for job in jobs:
        made = job.created_at
        for point in job.points or []:
            ds = parse_ds(point["ds"])
            if ds not in seen or seen[ds] is None or made > ds:
                continue
            if ds not in best or best[ds][0] < made:
                best[ds] = (made, job, point)
    out_rows = []
    for ds in sorted(best):
        _, job, point = best[ds]
        actual = seen[ds]
        assert actual is not None
        out_rows.append(
            {
                "queue": queue,
                "ds": ds,
                "forecast_id": job.id,
                "model": job.model,
                "yhat": point["yhat"],
                "actual": actual,
                "error": point["yhat"] - actual,
            }
        )
    metrics = accuracy(
        np.array([r["actual"] for r in out_rows], dtype=np.float64),
        np.array([r["yhat"] for r in out_rows], dtype=np.float64),
    )
    return {
        "queue": queue,
        "metric": metric,
        "intervals": len(out_rows),
        "forecasts": len({r["forecast_id"] for r in out_rows}),
        "wape": metrics["wape"],
        "mape": metrics["mape"],
        "rmse": metrics["rmse"],
        "rows": out_rows,
    }
