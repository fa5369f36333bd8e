"""Forecasting benchmark: accuracy and /predict latency on the real 15-minute month.

Data: ``services/forecasting/tests/data/pyworkforce_15min.csv`` (a copy of
``shared/data/pyworkforce_15min.csv``): 2023-03-01..31, 2,976 intervals of call volume. The last
week (672 intervals) is held out; every model sees the 2,304 intervals before it.

Figures (JSON lines on stdout, see bench/run.py):
* WAPE on the held-out week of OptiCall's default forecast (the model behind /predict) against
  a plain default ``Prophet()`` and against a weekly seasonal naive forecast. Target: below both.
* ``POST /predict`` latency (the real app in-process via TestClient: auth, validation, the
  warmed process pool, JSON both ways) against a bare Prophet fit + predict of the same series
  in this process. Median of interleaved runs (BENCH_FORECAST_REPEATS, default 9). Target: <= 1.2x.
  The baseline is always a default ``Prophet()``; our fits differ only in the model and in how
  cmdstan gets its data (``opticall_forecasting.stan``: orjson instead of stanio's pure-Python
  JSON writer, which took about half of our fit). On the shared 2-core machine, 2026-11-25:
  before 1,233 ms vs 943 ms (1.31x); after about 600 ms vs 690 ms (0.9x).

Needs a Kafka broker (the app's lifespan opens its producer): KAFKA_BOOTSTRAP_SERVERS, default
127.0.0.1:9092.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for the shared helpers
from _util import drop_topics

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "services" / "forecasting" / "tests" / "data" / "pyworkforce_15min.csv"
HOLDOUT = 7 * 96
REPEATS = int(os.environ.get("BENCH_FORECAST_REPEATS", "9"))
# Figures go to the real stdout; everything else (the app's JSON logs too) to stderr.
OUT = sys.stdout


def emit(metric: str, value: float, baseline: float, name: str, target: str, ok: bool) -> None:
    row = {
        "benchmark": "forecast",
        "metric": metric,
        "value": round(value, 4),
        "baseline": round(baseline, 4),
        "baseline_name": name,
        "ratio": round(value / baseline, 3) if baseline else None,
        "target": target,
        "ok": ok,
        "data": "pyworkforce_15min.csv: 2023-03-01..24 train, 03-25..31 held out",
    }
    print(json.dumps(row), file=OUT, flush=True)


def wape(actual: np.ndarray[Any, Any], predicted: np.ndarray[Any, Any]) -> float:
    return float(np.abs(actual - predicted).sum() / np.abs(actual).sum())


def bare_prophet(train: pd.DataFrame) -> np.ndarray[Any, Any]:
    from prophet import Prophet

    model = Prophet()
    model.fit(train)
    future = model.make_future_dataframe(periods=HOLDOUT, freq="15min", include_history=False)
    return np.asarray(model.predict(future)["yhat"].to_numpy(), dtype=np.float64)


def main() -> None:
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    warnings.simplefilter("ignore")
    from opticall_forecasting.baselines import seasonal_naive

    from opticall_common.testing import TokenFactory
    from opticall_forecasting.config import Settings
    from opticall_forecasting.fitting import WEEK, FitSpec, fit_prophet, quiet_logs

    quiet_logs()
    raw = pd.read_csv(DATA)
    frame = pd.DataFrame({"ds": pd.to_datetime(raw["tc"]), "y": raw["call_volume"].astype(float)})
    train, test = frame.iloc[:-HOLDOUT], frame.iloc[-HOLDOUT:]
    actual = test["y"].to_numpy()
    print(f"data: {DATA.name}, train {len(train)} rows, hold-out {len(test)} rows", file=sys.stderr)

    spec = FitSpec(
        ds=train["ds"].to_numpy(dtype="datetime64[ns]"),
        y=train["y"].to_numpy(),
        future=test["ds"].to_numpy(dtype="datetime64[ns]"),
        step=900.0,
        uncertainty_samples=Settings.model_fields["uncertainty_samples"].default,
    )
    ours = wape(actual, fit_prophet(spec).yhat)
    plain = wape(actual, bare_prophet(train))
    naive = wape(actual, seasonal_naive(spec, WEEK, "seasonal_naive_weekly").yhat)
    print(f"WAPE ours={ours:.4f} prophet={plain:.4f} naive={naive:.4f}", file=sys.stderr)
    emit("WAPE last week: default vs plain Prophet", ours, plain, "Prophet()", "< 1", ours < plain)
    emit(
        "WAPE last week: default vs seasonal naive",
        ours,
        naive,
        "weekly naive",
        "< 1",
        ours < naive,
    )

    from fastapi.testclient import TestClient

    from opticall_forecasting.main import create_app

    tokens = TokenFactory()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as cleanup:
        settings = Settings(
            OPTICALL_ENV="test",
            LOG_LEVEL="WARNING",
            KAFKA_TOPIC_PREFIX=f"bench{uuid.uuid4().hex[:6]}.",
            database_url=f"sqlite:///{tmp}/bench.db",
            warm_statsforecast=False,  # only jobs' backtests use statsforecast
            worker_enabled=False,
        )
        cleanup.callback(drop_topics, settings.kafka_bootstrap_servers, settings.kafka_topic_prefix)
        app = create_app(settings)
        body = [
            {"ds": ts.isoformat(), "y": float(y)}
            for ts, y in zip(train["ds"], train["y"], strict=True)
        ]
        with TestClient(app) as client:
            app.state.res.verifier = tokens.verifier()
            headers = {"Authorization": f"Bearer {tokens.token(roles=('supervisor',))}"}

            def predict() -> float:
                started = time.perf_counter()
                resp = client.post(f"/predict?periods={HOLDOUT}", json=body, headers=headers)
                took = time.perf_counter() - started
                assert resp.status_code == 200 and len(resp.json()) == HOLDOUT, resp.text
                return took

            def bare() -> float:
                started = time.perf_counter()
                bare_prophet(train)
                return time.perf_counter() - started

            predict(), bare()  # warm both paths once
            ours_t, bare_t = [], []
            for _ in range(REPEATS):
                ours_t.append(predict())
                bare_t.append(bare())
    med_ours, med_bare = statistics.median(ours_t), statistics.median(bare_t)
    print(
        f"/predict median {med_ours * 1000:.0f} ms, bare Prophet median {med_bare * 1000:.0f} ms "
        f"({med_ours / med_bare:.2f}x); runs ms: /predict {[round(t * 1000) for t in ours_t]}, "
        f"bare {[round(t * 1000) for t in bare_t]}",
        file=sys.stderr,
    )
    emit(
        "POST /predict s (2,304 pts, 672 ahead)",
        med_ours,
        med_bare,
        "bare Prophet fit+predict",
        "<= 1.2",
        med_ours <= 1.2 * med_bare,
    )


if __name__ == "__main__":
    main()
