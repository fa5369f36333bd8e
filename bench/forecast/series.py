"""The benchmark's series: the real 15-minute month, and realistic generated ones.

The generated series follow the shapes documented for call arrivals (Taylor 2008; Ibrahim,
Ye, L'Ecuyer & Shen 2016; Brown et al. 2005 for a bank call center): a doubly stochastic
Poisson process whose rate is a day-of-week volume times an intraday profile, with a
day-level random effect (busy and quiet days scale the whole curve) and AR(1) noise across
days. They are written once to ``data/*.csv`` by ``python bench/forecast/series.py`` (seeded,
so reproducible) and read from there; the benchmark never fits on the held-out week.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
REAL = HERE.parents[1] / "services" / "forecasting" / "tests" / "data" / "pyworkforce_15min.csv"


@dataclass(frozen=True)
class Named:
    name: str
    shape: str
    frame: pd.DataFrame  # ds (naive UTC), y
    freq: str
    open_hours: dict[str, object] | None = None


def _bimodal(
    hours: np.ndarray, peaks: tuple[float, float], widths: tuple[float, float]
) -> np.ndarray:  # type: ignore[type-arg]
    a = np.exp(-0.5 * ((hours - peaks[0]) / widths[0]) ** 2)
    b = 0.8 * np.exp(-0.5 * ((hours - peaks[1]) / widths[1]) ** 2)
    return 0.05 + a + b


def _arrivals(
    index: pd.DatetimeIndex,
    day_volume: dict[int, float],
    profile: np.ndarray,  # type: ignore[type-arg]
    rng: np.random.Generator,
    level: np.ndarray | None = None,  # type: ignore[type-arg]
) -> np.ndarray:  # type: ignore[type-arg]
    days = index.normalize()
    unique_days = days.unique()
    # Day effects: AR(1) on the log scale plus independent noise (busy days persist a little).
    ar = np.zeros(len(unique_days))
    for i in range(1, len(ar)):
        ar[i] = 0.6 * ar[i - 1] + rng.normal(0, 0.06)
    effect = dict(zip(unique_days, np.exp(ar + rng.normal(0, 0.04, len(ar))), strict=True))
    volume = np.array([day_volume[d.day_of_week] for d in index])
    scale = np.array([effect[d] for d in days])
    rate = volume * profile * scale * (1.0 if level is None else level)
    return rng.poisson(np.maximum(rate, 0.0)).astype(float)


def generate() -> None:
    DATA.mkdir(exist_ok=True)
    rng = np.random.default_rng(20261204)
    # 24/7 double seasonal, half-hourly, 12 weeks: strong intraday peaks, quiet nights and
    # weekends (an emergency or utility line).
    idx = pd.date_range("2025-01-06", periods=12 * 7 * 48, freq="30min")
    hours = idx.hour + idx.minute / 60
    profile = _bimodal(np.asarray(hours), (10.5, 15.0), (1.6, 2.0))
    weekend = np.asarray(idx.day_of_week >= 5)
    profile = np.where(
        weekend, 0.4 * _bimodal(np.asarray(hours), (12.0, 18.0), (2.5, 2.5)), profile
    )
    y = _arrivals(idx, {0: 60, 1: 55, 2: 52, 3: 52, 4: 48, 5: 30, 6: 25}, profile, rng)
    pd.DataFrame({"ds": idx, "y": y}).to_csv(DATA / "utility_247_30min.csv", index=False)
    # Bank business hours: weekdays 07:00-21:00, half-hourly, 16 weeks, no rows when closed.
    idx = pd.date_range("2025-01-06", periods=16 * 7 * 48, freq="30min")
    keep = (idx.day_of_week < 5) & (idx.hour >= 7) & (idx.hour < 21)
    idx = idx[keep]
    hours = np.asarray(idx.hour + idx.minute / 60)
    profile = _bimodal(hours, (10.0, 14.5), (1.5, 2.2))
    y = _arrivals(idx, {0: 45, 1: 38, 2: 36, 3: 36, 4: 33}, profile, rng)
    pd.DataFrame({"ds": idx, "y": y}).to_csv(DATA / "bank_business_hours_30min.csv", index=False)
    # Level shift: 24/7 hourly, 10 weeks, volume up 35% from three weeks before the end (a
    # new product line routed to the queue).
    idx = pd.date_range("2025-03-03", periods=10 * 7 * 24, freq="h")
    hours = np.asarray(idx.hour, dtype=float)
    profile = _bimodal(hours, (11.0, 16.0), (2.0, 2.0))
    level = np.where(idx >= idx[-1] - pd.Timedelta(weeks=3), 1.35, 1.0)
    y = _arrivals(idx, {0: 50, 1: 46, 2: 45, 3: 45, 4: 42, 5: 20, 6: 15}, profile, rng, level)
    pd.DataFrame({"ds": idx, "y": y}).to_csv(DATA / "level_shift_hourly.csv", index=False)
    # Weekly-only seasonality: daily totals for 40 weeks with a slow upward trend.
    idx = pd.date_range("2024-03-04", periods=40 * 7, freq="D")
    trend = np.linspace(1.0, 1.25, len(idx))
    y = _arrivals(
        idx, {0: 900, 1: 820, 2: 800, 3: 790, 4: 760, 5: 420, 6: 300}, np.ones(len(idx)), rng, trend
    )
    pd.DataFrame({"ds": idx, "y": y}).to_csv(DATA / "weekly_daily.csv", index=False)


def _read(name: str) -> pd.DataFrame:
    frame = pd.read_csv(DATA / name)
    return pd.DataFrame({"ds": pd.to_datetime(frame["ds"]), "y": frame["y"].astype(float)})


BANK_HOURS = {
    "timezone": "UTC",
    "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "07:00", "close": "21:00"}],
}


def load() -> list[Named]:
    raw = pd.read_csv(REAL)
    real = pd.DataFrame({"ds": pd.to_datetime(raw["tc"]), "y": raw["call_volume"].astype(float)})
    half_hourly = real.set_index("ds")["y"].resample("30min").sum().reset_index()
    return [
        Named("pyworkforce 15min", "real, 24/7, level rise in the last week", real, "15min"),
        Named("pyworkforce 30min", "the same month, half-hourly", half_hourly, "30min"),
        Named(
            "utility 24/7 30min", "double seasonal 24/7", _read("utility_247_30min.csv"), "30min"
        ),
        Named(
            "bank 07-21 30min",
            "business hours, weekdays only",
            _read("bank_business_hours_30min.csv"),
            "30min",
            BANK_HOURS,
        ),
        Named(
            "level shift hourly",
            "24/7, +35% three weeks before the end",
            _read("level_shift_hourly.csv"),
            "h",
        ),
        Named("weekly daily", "daily totals, weekly season, trend", _read("weekly_daily.csv"), "D"),
    ]


if __name__ == "__main__":
    generate()
