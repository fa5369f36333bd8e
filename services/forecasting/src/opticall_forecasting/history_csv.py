"""ACD interval exports as CSV: column mapping, time zones, validation by row and column."""

from __future__ import annotations

import io
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from opticall_forecasting.history_store import FIELDS
from opticall_forecasting.series import SeriesError

# Names that ACD exports use for our canonical columns (the real data file: tc, call_volume, aht).
ALIASES: dict[str, str] = {
    "interval_start": "interval_start",
    "tc": "interval_start",
    "ds": "interval_start",
    "timestamp": "interval_start",
    "interval": "interval_start",
    "start": "interval_start",
    "offered": "offered",
    "call_volume": "offered",
    "volume": "offered",
    "calls": "offered",
    "contacts": "offered",
    "calls_offered": "offered",
    "handled": "handled",
    "answered": "handled",
    "calls_handled": "handled",
    "abandoned": "abandoned",
    "abandons": "abandoned",
    "calls_abandoned": "abandoned",
    "aht_seconds": "aht_seconds",
    "aht": "aht_seconds",
    "avg_handle_time": "aht_seconds",
    "answered_within_sl": "answered_within_sl",
    "within_sl": "answered_within_sl",
    "asa_seconds": "asa_seconds",
    "asa": "asa_seconds",
}


def parse_mapping(text: str | None) -> dict[str, str]:
    """``"their_col:interval_start,calls:offered"`` → extra aliases (query ``columns``)."""
    out: dict[str, str] = {}
    if not text:
        return out
    for pair in text.split(","):
        source, sep, target = pair.partition(":")
        target = target.strip()
        if not sep or target not in ("interval_start", *FIELDS):
            raise SeriesError("columns", f"bad mapping {pair!r}: use source:canonical_name")
        out[source.strip().lower()] = target
    return out


def timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SeriesError("tz", f"unknown time zone {name!r}") from exc


def parse_csv(
    data: bytes, queue: str, tz: ZoneInfo, mapping: dict[str, str]
) -> list[dict[str, Any]]:
    """Rows ready for ``history_store.upsert``; naive timestamps are local time in ``tz``."""
    try:
        frame = pd.read_csv(
            io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SeriesError("file", f"not a readable CSV: {exc}") from exc
    aliases = {**ALIASES, **mapping}
    renamed: dict[str, str] = {}
    for col in frame.columns:
        target = aliases.get(str(col).strip().lower())
        if target and target not in renamed.values():
            renamed[col] = target
    frame = frame[list(renamed)].rename(columns=renamed)
    for required in ("interval_start", "offered"):
        if required not in frame.columns:
            raise SeriesError(
                "file", f"no {required} column (map one with ?columns=name:{required})"
            )
    if frame.empty:
        raise SeriesError("file", "no data rows")
    stamps = pd.to_datetime(
        frame["interval_start"].str.strip(), errors="coerce", format="ISO8601", utc=False
    )
    bad = stamps.isna()
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise SeriesError(f"file row {line} interval_start", "unparsable timestamp")
    if getattr(stamps.dt, "tz", None) is None:
        stamps = stamps.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        if stamps.isna().any():
            line = int(np.flatnonzero(stamps.isna().to_numpy())[0]) + 2
            raise SeriesError(f"file row {line} interval_start", f"not a valid time in {tz}")
    stamps = stamps.dt.tz_convert(UTC)
    columns: dict[str, np.ndarray[Any, Any]] = {}
    for name in FIELDS:
        if name not in frame.columns:
            continue
        text = frame[name].str.strip()
        present = (text != "").to_numpy()
        values = pd.to_numeric(text.where(present), errors="coerce").to_numpy(dtype=np.float64)
        bad_mask = (present & ~np.isfinite(values)) | (values < 0)
        if name == "offered":
            bad_mask |= ~present
        if bad_mask.any():
            line = int(np.flatnonzero(bad_mask)[0]) + 2
            raise SeriesError(f"file row {line} {name}", "must be a non-negative number")
        columns[name] = values
    out = []
    for i, ts in enumerate(stamps.dt.to_pydatetime()):
        row: dict[str, Any] = {"queue": queue, "interval_start": ts}
        for name, values in columns.items():
            value = values[i]
            row[name] = None if np.isnan(value) else float(value)
        out.append(row)
    return out
