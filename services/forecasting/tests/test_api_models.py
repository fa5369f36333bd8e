"""``model``, ``open_hours`` and ``future`` on /predict and jobs, through the HTTP API."""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from opticall_forecasting.engine import MODEL_NAMES

from .test_api import SEED, wait_job

WEEKDAYS = {"days": ["mon", "tue", "wed", "thu", "fri"], "open": "07:00", "close": "21:00"}
OPEN = {"timezone": "UTC", "weekly": [WEEKDAYS]}


def bank_history(weeks: int = 4) -> list[dict[str, Any]]:
    """Half-hourly weekday calls 07:00-21:00 (no rows when closed), from Monday 2025-01-06."""
    rows = []
    for ts in pd.date_range("2025-01-06", periods=weeks * 7 * 48, freq="30min"):
        if ts.day_of_week < 5 and 7 <= ts.hour < 21:
            rows.append({"ds": ts.isoformat(), "y": 50 + 30 * ((ts.hour - 7) % 5) + ts.day_of_week})
    return rows


def test_list_body_defaults_to_prophet_not_backtested(api: TestClient) -> None:
    resp = api.post("/predict", json=SEED)
    assert resp.status_code == 200 and isinstance(resp.json(), list)
    assert resp.headers["x-forecast-model"] == "prophet"
    assert "x-forecast-backtest-wape" not in resp.headers


def test_auto_on_the_list_body_names_the_chosen_model_and_its_backtest_wape(
    api: TestClient,
) -> None:
    history = bank_history()
    resp = api.post("/predict?model=auto&periods=28", json=history)
    assert resp.status_code == 200, resp.text
    assert len(resp.json()) == 28
    assert resp.headers["x-forecast-model"] in (*MODEL_NAMES, "median_top3", "weighted_top3")
    assert float(resp.headers["x-forecast-backtest-wape"]) >= 0


def test_object_body_defaults_to_auto_and_open_hours_count_open_intervals(
    api: TestClient,
) -> None:
    body = {"history": bank_history(), "periods": 30, "open_hours": OPEN}
    resp = api.post("/predict", json=body)
    assert resp.status_code == 200, resp.text
    stamps = pd.DatetimeIndex([r["ds"] for r in resp.json()])
    assert len(stamps) == 30  # 28 open intervals on Monday 2025-02-03, then 2 on Tuesday
    assert (stamps.day_of_week < 5).all() and ((stamps.hour >= 7) & (stamps.hour < 21)).all()
    assert str(stamps[0]) == "2025-02-03 07:00:00+00:00"
    assert resp.headers["x-forecast-model"] != "prophet" or "x-forecast-backtest-wape" in (
        resp.headers
    )


def test_explicit_future_in_closed_hours_is_not_forecast(api: TestClient) -> None:
    future = ["2025-02-03T06:30:00Z", "2025-02-03T07:00:00Z", "2025-02-08T10:00:00Z"]
    body = {
        "history": bank_history(),
        "future": future,
        "open_hours": OPEN,
        "model": "weekly_average",
    }
    resp = api.post("/predict", json=body)
    assert resp.status_code == 200, resp.text
    assert [r["ds"] for r in resp.json()] == ["2025-02-03T07:00:00Z"]
    assert resp.headers["x-forecast-model"] == "weekly_average"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/predict?model=arima", SEED, "model"),
        ("/predict", {"history": SEED, "model": "best"}, "body.model"),
        ("/predict", {"history": SEED, "open_hours": {}}, "body.open_hours.weekly"),
        ("/predict", {"history": SEED, "open_hours": {"weekly": []}}, "body.open_hours.weekly"),
        ("/predict?freq=0min", SEED, "freq"),
        ("/predict?freq=-5min", SEED, "freq"),
        ("/predict?freq=abc", SEED, "freq"),
        ("/predict", {"history": SEED, "freq": "0min"}, "freq"),
    ],
)
def test_bad_model_open_hours_and_freq_are_422(
    api: TestClient, path: str, body: Any, field: str
) -> None:
    resp = api.post(path, json=body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["errors"][0]["field"] == field
    if field.endswith("model"):
        assert "auto, prophet" in resp.json()["detail"]


def test_bad_job_model_and_open_hours_are_422(api: TestClient) -> None:
    resp = api.post("/forecasts", json={"history": SEED, "model": "arima"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "body.model"
    resp = api.post("/forecasts", json={"history": SEED, "open_hours": {"weekly": []}})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"].startswith("body.open_hours")


def test_control_characters_in_queue_ids_are_refused(api: TestClient) -> None:
    for path, kwargs in (
        (
            "/history",
            {
                "json": {
                    "queue": "a\x00b",
                    "intervals": [{"interval_start": "2025-01-01T00:00:00Z", "offered": 1}],
                }
            },
        ),
        ("/forecasts", {"json": {"queue": "sales\n", "periods": 3}}),
    ):
        resp = api.post(path, **kwargs)
        assert resp.status_code == 422, (path, resp.text)
    assert api.get("/history", params={"queue": "a\x1bb"}).status_code == 422


def test_a_too_long_history_list_is_refused_by_its_count(api: TestClient) -> None:
    item = {"interval_start": "not even a time", "offered": -1}
    resp = api.post("/history", json={"queue": "q", "intervals": [item] * 200_001})
    assert resp.status_code == 422
    assert len(resp.json()["errors"]) == 1 and "200000" in resp.json()["errors"][0]["message"]


def test_open_hours_per_queue_shape_the_job(api: TestClient) -> None:
    queue = f"bank-{uuid.uuid4().hex[:6]}"
    intervals = [{"interval_start": r["ds"], "offered": r["y"]} for r in bank_history(3)]
    assert api.post("/history", json={"queue": queue, "intervals": intervals}).status_code == 200
    path = f"/history/queues/{queue}/open-hours"
    assert api.get(path).status_code == 404
    assert api.put(path, json={"weekly": []}).status_code == 422
    resp = api.put(path, json=OPEN)
    assert resp.status_code == 200, resp.text
    assert api.get(path).json()["weekly"][0]["open"] == "07:00"
    request_id = uuid.uuid4().hex
    resp = api.post("/forecasts", json={"request_id": request_id, "queue": queue, "periods": 56})
    assert resp.status_code == 202, resp.text
    job = wait_job(api, request_id)
    assert job["status"] == "done", job
    stamps = pd.DatetimeIndex([p["ds"] for p in job["points"]])
    assert len(stamps) == 56  # two open days, not 28 hours of a 24-hour grid
    assert str(stamps[0]) == "2025-01-27 07:00:00+00:00"  # Friday 20:30 was the last point
    assert ((stamps.hour >= 7) & (stamps.hour < 21)).all() and (stamps.day_of_week < 5).all()
    accuracy = job["accuracy"]
    assert accuracy["chosen"] == job["model"] and accuracy["horizon"] == 56
    for name, metrics in accuracy["candidates"].items():
        assert "excluded" in metrics or {"wape", "mape", "rmse"} <= set(metrics), name


def test_queue_accuracy_judges_each_interval_by_the_newest_forecast_made_before_it(
    api: TestClient,
) -> None:
    from datetime import UTC, datetime

    from opticall_common.db import transaction
    from opticall_forecasting.db_models import ForecastJob

    queue = f"acc-{uuid.uuid4().hex[:6]}"
    history = bank_history(4)
    train = [{"interval_start": r["ds"], "offered": r["y"]} for r in history[: 3 * 5 * 28]]
    assert api.post("/history", json={"queue": queue, "intervals": train}).status_code == 200
    ids = [uuid.uuid4().hex, uuid.uuid4().hex]
    for job_id in ids:
        body = {"request_id": job_id, "queue": queue, "periods": 28, "open_hours": OPEN}
        assert api.post("/forecasts", json=body).status_code == 202
        assert wait_job(api, job_id)["status"] == "done"
    # Made before the forecast day (2025-01-27): the second one is the newer.
    sessions = api.app.state.runtime.sessions  # type: ignore[attr-defined]
    with transaction(sessions) as session:
        for job_id, day in zip(ids, (20, 24), strict=True):
            session.get(ForecastJob, job_id).created_at = datetime(2025, 1, day, tzinfo=UTC)
    actual = [{"interval_start": r["ds"], "offered": r["y"]} for r in history[3 * 5 * 28 :]]
    assert api.post("/history", json={"queue": queue, "intervals": actual}).status_code == 200
    report = api.get("/reports/forecast-accuracy", params={"queue": queue}).json()
    assert report["intervals"] == 28 and report["forecasts"] == 1
    assert {r["forecast_id"] for r in report["rows"]} == {ids[1]}
    assert report["wape"] is not None and report["rows"][0]["ds"].startswith("2025-01-27T07:00")
    csv = api.get("/reports/forecast-accuracy", params={"queue": queue, "format": "csv"})
    assert csv.text.splitlines()[0] == "queue,ds,forecast_id,model,yhat,actual,error"
    assert api.get("/reports/forecast-accuracy").status_code == 422
