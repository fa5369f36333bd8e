"""Forecasting benchmark: accuracy on several series, and /predict latency against Prophet.

Accuracy (``accuracy.py``, series in ``series.py`` and ``data/README.md``): on each series the
last week is held out; WAPE of OptiCall's ``auto`` against a default ``Prophet()``, the weekly
seasonal naive forecast, and statsforecast's MSTL and AutoETS. Two rows per series: ``auto``
over the better of Prophet and seasonal naive, and over the better statsforecast model; both
must be below 1.

Latency (the real app in-process via TestClient: auth, validation, the warmed process pool,
JSON both ways), each against a bare ``Prophet(uncertainty_samples=200)`` fit + predict of
the same series and horizon in this process, interleaved, medians of BENCH_FORECAST_REPEATS
(default 7) runs. Both sides draw the same 200 uncertainty samples (the service's default):
* ``POST /predict`` (the seed's list body: the default Prophet path) on the real 15-minute
  month's first 2,304 points, 672 ahead: target <= 1.2x.
* ``POST /predict?model=auto`` on 4,000 half-hourly points (the 24/7 series), 336 ahead:
  target <= 3x.

Exits non-zero when any target is missed. Needs a Kafka broker (the app's lifespan opens its
producer): KAFKA_BOOTSTRAP_SERVERS, default 127.0.0.1:9092.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for the shared helpers
sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy
import series
from _util import drop_topics

REPEATS = int(os.environ.get("BENCH_FORECAST_REPEATS", "7"))
SAMPLES = 200
# Figures go to the real stdout; everything else (the app's JSON logs too) to stderr.
OUT = sys.stdout
failures: list[str] = []


def emit(
    metric: str, value: float, baseline: float, name: str, target: str, ok: bool, data: str
) -> None:
    row = {
        "benchmark": "forecast",
        "metric": metric,
        "value": round(value, 4),
        "baseline": round(baseline, 4),
        "baseline_name": name,
        "ratio": round(value / baseline, 3) if baseline else None,
        "target": target,
        "ok": ok,
        "data": data,
    }
    if not ok:
        failures.append(metric)
    print(json.dumps(row), file=OUT, flush=True)


def accuracy_rows() -> None:
    table = []
    for named in series.load():
        row = accuracy.measure(named)
        s = row.scores
        simple = min(("Prophet()", "seasonal naive"), key=lambda k: s[k])
        peer = min(("MSTL", "AutoETS"), key=lambda k: s[k])
        data = f"{named.name}: {named.shape}; auto chose {row.chosen.get('auto')}"
        emit(
            f"WAPE {named.name}: auto vs {simple}",
            s["auto"],
            s[simple],
            simple,
            "< 1",
            s["auto"] < s[simple],
            data,
        )
        emit(
            f"WAPE {named.name}: auto vs {peer}",
            s["auto"],
            s[peer],
            peer,
            "< 1",
            s["auto"] < s[peer],
            data,
        )
        table.append((named.name, s, row.chosen.get("auto", "")))
    names = list(table[0][1])
    print(
        f"{'series':<22} " + " ".join(f"{n:>15}" for n in names) + "  auto chose", file=sys.stderr
    )
    for name, s, chosen in table:
        print(
            f"{name:<22} " + " ".join(f"{s[n]:>15.4f}" for n in names) + f"  {chosen}",
            file=sys.stderr,
        )


def bare_prophet(train: pd.DataFrame, future: pd.DataFrame) -> None:
    from prophet import Prophet

    model = Prophet(uncertainty_samples=SAMPLES)
    model.fit(train)
    model.predict(future)


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def latency_rows() -> None:
    from fastapi.testclient import TestClient

    from opticall_common.testing import TokenFactory
    from opticall_forecasting.config import Settings
    from opticall_forecasting.main import create_app

    real = series.load()[0].frame
    month_train, month_ahead = real.iloc[:2304], real.iloc[2304:]
    utility = series.load()[2].frame
    long_train = utility.iloc[:4000]
    long_ahead = pd.DataFrame(
        {"ds": pd.date_range(long_train["ds"].iloc[-1], periods=337, freq="30min")[1:]}
    )
    tokens = TokenFactory()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as cleanup:
        settings = Settings(
            OPTICALL_ENV="test",
            LOG_LEVEL="WARNING",
            KAFKA_TOPIC_PREFIX=f"bench{uuid.uuid4().hex[:6]}.",
            database_url=f"sqlite:///{tmp}/bench.db",
            warm_statsforecast=False,  # auto uses no statsforecast model on intraday data
            worker_enabled=False,
            uncertainty_samples=SAMPLES,
        )
        cleanup.callback(drop_topics, settings.kafka_bootstrap_servers, settings.kafka_topic_prefix)
        app = create_app(settings)

        def body(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [
                {"ds": ts.isoformat(), "y": float(y)}
                for ts, y in zip(frame["ds"], frame["y"], strict=True)
            ]

        with TestClient(app) as client:
            app.state.runtime.resources.verifier = tokens.verifier()
            headers = {"Authorization": f"Bearer {tokens.token(roles=('supervisor',))}"}
            cases = [
                (
                    "POST /predict s (prophet, 2,304 pts, 672 ahead)",
                    "/predict?periods=672",
                    body(month_train),
                    lambda: bare_prophet(month_train, month_ahead[["ds"]]),
                    1.2,
                    "pyworkforce_15min.csv: first 2,304 points",
                ),
                (
                    "POST /predict?model=auto s (4,000 pts, 336 ahead)",
                    "/predict?model=auto&periods=336",
                    body(long_train),
                    lambda: bare_prophet(long_train, long_ahead),
                    3.0,
                    "utility_247_30min.csv: first 4,000 points",
                ),
            ]
            for metric, path, payload, baseline, budget, data in cases:

                def ours(path: str = path, payload: Any = payload) -> None:
                    resp = client.post(path, json=payload, headers=headers)
                    assert resp.status_code == 200, resp.text

                ours(), baseline()  # warm both paths once
                ours_t, bare_t = [], []
                for _ in range(REPEATS):
                    ours_t.append(timed(ours))
                    bare_t.append(timed(baseline))
                a, b = statistics.median(ours_t), statistics.median(bare_t)
                print(
                    f"{metric}: {a * 1000:.0f} ms vs bare {b * 1000:.0f} ms ({a / b:.2f}x)",
                    file=sys.stderr,
                )
                emit(
                    metric,
                    a,
                    b,
                    f"bare Prophet fit+predict ({SAMPLES} samples)",
                    f"<= {budget}",
                    a <= budget * b,
                    data,
                )


def main() -> int:
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    warnings.simplefilter("ignore")
    from opticall_forecasting.fitting import quiet_logs

    quiet_logs()
    only = set(sys.argv[1:])
    if not only or "accuracy" in only:
        accuracy_rows()
    if not only or "latency" in only:
        latency_rows()
    if failures:
        print(f"missed: {'; '.join(failures)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
