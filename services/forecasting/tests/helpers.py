"""Shared test data: the real month of 15-minute traffic shipped next to the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).parent / "data" / "pyworkforce_15min.csv"


def real_frame() -> pd.DataFrame:
    frame = pd.read_csv(DATA)
    return pd.DataFrame(
        {"ds": pd.to_datetime(frame["tc"]), "y": frame["call_volume"].astype(float)}
    )


def stamps(start: str, periods: int, freq: str) -> np.ndarray:  # type: ignore[type-arg]
    return pd.date_range(start, periods=periods, freq=freq).to_numpy(dtype="datetime64[ns]")
