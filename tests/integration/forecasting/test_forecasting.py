"""The forecasting service through the gateway, against real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import math
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from tests.integration.suite import Suite

DATA = Path(__file__).resolve().parents[3] / "services" / "forecasting" / "tests" / "data"
SEED = [{"ds": "2025-01-01", "y": 150}, {"ds": "2025-01-02", "y": 170}]


@pytest.fixture(scope="module")
def staff(suite: Suite) -> httpx.Client:
    with suite.client(suite.admin_token()) as client:
        client.timeout = httpx.Timeout(120)
        yield client  # type: ignore[misc]


def real_csv(days: int | None = None) -> str:
    text = (DATA / "pyworkforce_15min.csv").read_text()
    if days is None:
        return text
    return "\n".join(text.splitlines()[: days * 96 + 1]) + "\n"


def upload(staff: httpx.Client, queue: str, days: int | None = None) -> httpx.Response:
    return staff.post(
        "/history/upload",
        params={"queue": queue},
        content=real_csv(days),
        headers={"content-type": "text/csv"},
    )


def wait_job(staff: httpx.Client, job_id: str, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        resp = staff.get(f"/forecasts/{job_id}")
        if resp.status_code == 200:
            body = resp.json()
            if body["status"] in ("done", "failed"):
                return body
        time.sleep(1)
    raise AssertionError(f"job {job_id} did not finish: {body}")


async def results_for(bootstrap: str, topic: str, key: str, timeout: float = 60) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"it-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[Any] = []
    try:
        deadline = time.monotonic() + timeout
        while not found and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                found += [json.loads(r.value) for r in records if r.key and r.key.decode() == key]
    finally:
        await consumer.stop()
    return found


def test_seed_example_through_the_gateway(staff: httpx.Client) -> None:
    resp = staff.post("/predict", json=SEED)
    assert resp.status_code == 200, resp.text
    rows = resp.json()
    assert len(rows) == 7
    assert rows[0]["ds"].startswith("2025-01-03")
    assert all(math.isfinite(r["yhat"]) and r["yhat_lower"] <= r["yhat_upper"] for r in rows)


@pytest.mark.parametrize(
    ("body", "query", "field"),
    [
        ([{"ds": "2025-01-01", "y": 1}], "", "body"),
        ([{"ds": "2025-01-01", "y": 1}, {"ds": "2025-01-01", "y": 2}], "", "body[1].ds"),
        ([{"ds": "2025-13-01", "y": 1}, {"ds": "2025-01-01", "y": 2}], "", "body[0].ds"),
        ([{"ds": "2025-01-01", "y": "abc"}, {"ds": "2025-01-02", "y": 2}], "", "body[0].y"),
        (SEED, "?periods=1000000", "periods"),
    ],
)
def test_bad_predict_input_is_422(staff: httpx.Client, body: Any, query: str, field: str) -> None:
    resp = staff.post("/predict" + query, json=body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("interval", ["", "0", "-1h", "nan", "99999999999999d"])
def test_bad_report_interval_is_422_through_the_gateway(staff: httpx.Client, interval: str) -> None:
    resp = staff.get("/reports/service-level", params={"interval": interval, "format": "csv"})
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["errors"][0]["field"] == "query.interval"


def test_public_openapi_documents_the_csv_reports(staff: httpx.Client) -> None:
    paths = staff.get("/openapi.json").json()["paths"]
    for path in ("/reports/service-level", "/reports/forecast-accuracy"):
        assert "text/csv" in paths[path]["get"]["responses"]["200"]["content"], path
    csv = staff.get("/reports/service-level", params={"format": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")


def test_predict_refuses_agents(suite: Suite) -> None:
    with suite.client(suite.user_token("agent")) as client:
        assert client.post("/predict", json=SEED).status_code == 403


def test_forecast_job_end_to_end(suite: Suite, staff: httpx.Client, kafka_bootstrap: str) -> None:
    queue = f"sales-{uuid.uuid4().hex[:6]}"
    resp = upload(staff, queue)
    assert resp.status_code == 200, resp.text
    assert resp.json()["upserted"] == 2976
    assert any(q["queue"] == queue for q in staff.get("/history/queues").json())
    request_id = f"it-{uuid.uuid4().hex}"
    body = {"request_id": request_id, "queue": queue, "periods": 96}
    resp = staff.post("/forecasts", json=body)
    assert resp.status_code == 202, resp.text
    assert resp.json()["id"] == request_id
    job = wait_job(staff, request_id)
    assert job["status"] == "done", job
    assert len(job["points"]) == 96
    assert job["points"][0]["ds"].startswith("2023-04-01T00:00")
    assert all(p["yhat"] >= 0 for p in job["points"])
    assert job["accuracy"]["model"] == job["model"]
    assert set(job["accuracy"]["candidates"]) >= {
        "prophet",
        "seasonal_naive_weekly",
        "weekly_profile",
    }
    # Idempotent: the same request id is the same job.
    again = staff.post("/forecasts", json=body)
    assert again.status_code == 202 and again.json() == {"id": request_id, "status": "done"}
    results = asyncio.run(
        results_for(kafka_bootstrap, suite.topic_prefix + "forecast-results", request_id)
    )
    assert results and results[0]["status"] == "done" and len(results[0]["points"]) == 96
    report = staff.get("/reports/service-level", params={"queue": queue, "interval": "1d"})
    assert report.status_code == 200
    assert len(report.json()["rows"]) == 31
    assert sum(r["offered"] for r in report.json()["rows"]) == pytest.approx(
        sum(int(line.split(",")[1]) for line in real_csv().splitlines()[1:])
    )


def test_killed_worker_leaves_the_job_to_be_redone(suite: Suite, staff: httpx.Client) -> None:
    queue = f"kill-{uuid.uuid4().hex[:6]}"
    assert upload(staff, queue).status_code == 200
    request_id = f"kill-{uuid.uuid4().hex}"
    # A week ahead from a month of 15-minute data: the backtests keep the worker busy a while.
    resp = staff.post("/forecasts", json={"request_id": request_id, "queue": queue, "periods": 672})
    assert resp.status_code == 202, resp.text
    deadline = time.monotonic() + 120
    status = "pending"
    while time.monotonic() < deadline:
        status = staff.get(f"/forecasts/{request_id}").json()["status"]
        if status != "pending":
            break
        time.sleep(0.2)
    assert status == "running", f"job never started running ({status})"
    suite.stack.stop("forecasting", sig=signal.SIGKILL)
    try:
        job = staff.get(f"/forecasts/{request_id}")
        assert job.status_code in (502, 503, 504)  # the gateway cannot reach it now
    finally:
        suite.start_service("forecasting")
    job = wait_job(staff, request_id, timeout=400)
    assert job["status"] == "done", job
    assert job["attempts"] >= 2
    assert len(job["points"]) == 672


def bank_intervals(weeks: int) -> list[dict[str, Any]]:
    """Half-hourly weekday calls 07:00-21:00 (no rows when closed) from Monday 2025-01-06."""
    out = []
    for day in range(weeks * 7):
        if day % 7 >= 5:
            continue
        for slot in range(28):
            hour, minute = divmod(7 * 60 + 30 * slot, 60)
            out.append(
                {
                    "interval_start": f"2025-01-{6 + day:02d}T{hour:02d}:{minute:02d}:00Z"
                    if 6 + day <= 31
                    else f"2025-02-{6 + day - 31:02d}T{hour:02d}:{minute:02d}:00Z",
                    "offered": 40 + 25 * (slot % 9) + 3 * (day % 7),
                }
            )
    return out


OPEN = {
    "timezone": "UTC",
    "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "07:00", "close": "21:00"}],
}


def test_model_choice_and_open_hours_through_the_gateway(staff: httpx.Client) -> None:
    queue = f"bank-{uuid.uuid4().hex[:6]}"
    intervals = bank_intervals(4)
    assert staff.post("/history", json={"queue": queue, "intervals": intervals}).status_code == 200
    path = f"/history/queues/{queue}/open-hours"
    assert staff.get(path).status_code == 404
    bad = staff.put(path, json={"weekly": []})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert staff.put(path, json=OPEN).status_code == 200
    assert staff.get(path).json() == OPEN

    history = [{"ds": i["interval_start"], "y": i["offered"]} for i in intervals]
    resp = staff.post("/predict", json={"history": history, "periods": 28, "open_hours": OPEN})
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-forecast-model"]
    assert float(resp.headers["x-forecast-backtest-wape"]) >= 0
    assert [r["ds"][11:16] for r in resp.json()][:2] == ["07:00", "07:30"]

    request_id = f"bank-{uuid.uuid4().hex}"
    resp = staff.post("/forecasts", json={"request_id": request_id, "queue": queue, "periods": 28})
    assert resp.status_code == 202, resp.text
    job = wait_job(staff, request_id)
    assert job["status"] == "done", job
    assert [p["ds"][:16] for p in job["points"]][:1] == ["2025-02-03T07:00"]
    assert len(job["points"]) == 28 and job["points"][-1]["ds"].startswith("2025-02-03T20:30")
    accuracy = job["accuracy"]
    assert accuracy["chosen"] == job["model"]
    assert {"prophet", "weekly_profile", "median_top3"} <= set(accuracy["candidates"])


@pytest.mark.parametrize(
    ("query", "body", "field"),
    [
        ("?model=arima", SEED, "model"),
        ("?freq=0min", SEED, "freq"),
        ("?freq=-5min", SEED, "freq"),
        ("", {"history": SEED, "open_hours": {"weekly": []}}, "body.open_hours.weekly"),
    ],
)
def test_bad_model_freq_and_open_hours_are_422_through_the_gateway(
    staff: httpx.Client, query: str, body: Any, field: str
) -> None:
    resp = staff.post("/predict" + query, json=body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["errors"][0]["field"] == field
