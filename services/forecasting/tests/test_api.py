"""The HTTP API in-process: /predict, history upload and queries, reports, forecast jobs."""

from __future__ import annotations

import math
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

SEED = [{"ds": "2025-01-01", "y": 150}, {"ds": "2025-01-02", "y": 170}]


def wait_job(api: TestClient, job_id: str, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(f"/forecasts/{job_id}").json()
        if body["status"] in ("done", "failed"):
            return dict(body)
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} not finished: {body}")


def test_seed_example_returns_seven_daily_rows(api: TestClient) -> None:
    resp = api.post("/predict", json=SEED)
    assert resp.status_code == 200, resp.text
    rows = resp.json()
    assert [r["ds"][:10] for r in rows] == [f"2025-01-{d:02d}" for d in range(3, 10)]
    assert rows[0]["ds"].endswith("Z")
    for r in rows:
        assert set(r) == {"ds", "yhat", "yhat_lower", "yhat_upper"}
        assert all(math.isfinite(r[k]) for k in ("yhat", "yhat_lower", "yhat_upper"))
        assert 0 <= r["yhat_lower"] <= r["yhat"] <= r["yhat_upper"]


def test_predict_query_and_object_forms(api: TestClient) -> None:
    resp = api.post("/predict?periods=3&freq=12h", json=SEED)
    assert [r["ds"][:13] for r in resp.json()] == [
        "2025-01-02T12",
        "2025-01-03T00",
        "2025-01-03T12",
    ]
    body = {"history": SEED, "future": ["2025-02-01T09:00:00+01:00"]}
    resp = api.post("/predict", json=body)
    assert resp.status_code == 200, resp.text
    assert [r["ds"] for r in resp.json()] == ["2025-02-01T08:00:00Z"]


@pytest.mark.parametrize(
    ("body", "query", "field"),
    [
        ([{"ds": "2025-01-01", "y": 1}], "", "body"),
        ([{"ds": "2025-01-01", "y": 1}, {"ds": "2025-01-01", "y": 1}], "", "body[1].ds"),
        ([{"ds": "soon", "y": 1}, {"ds": "2025-01-01", "y": 1}], "", "body[0].ds"),
        ([{"ds": "2025-01-01", "y": "x"}, {"ds": "2025-01-02", "y": 1}], "", "body[0].y"),
        (SEED, "?periods=5000", "periods"),
        (SEED, "?freq=often", "freq"),
        (
            [{"ds": f"2025-01-01T00:{i // 60:02d}:{i % 60:02d}", "y": 1} for i in range(5001)],
            "",
            "body",
        ),
    ],
)
def test_bad_predict_input_is_a_422_naming_the_field(
    api: TestClient, body: Any, query: str, field: str
) -> None:
    resp = api.post("/predict" + query, json=body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["errors"][0]["field"] == field


def test_predict_needs_a_staff_token(api: TestClient) -> None:
    assert api.post("/predict", json=SEED, headers={"Authorization": ""}).status_code == 401
    agent = api.app_state["tokens"].token(roles=("agent",))  # type: ignore[attr-defined]
    resp = api.post("/predict", json=SEED, headers={"Authorization": f"Bearer {agent}"})
    assert resp.status_code == 403


def upload_real(api: TestClient, data_dir: Path, queue: str, days: int | None = None) -> Any:
    text = (data_dir / "pyworkforce_15min.csv").read_text()
    if days is not None:
        text = "\n".join(text.splitlines()[: days * 96 + 1]) + "\n"
    return api.post(
        f"/history/upload?queue={queue}", content=text, headers={"content-type": "text/csv"}
    )


def test_real_csv_upload_is_upserted_and_queryable(api: TestClient, data_dir: Path) -> None:
    queue = f"q-{uuid.uuid4().hex[:6]}"
    resp = upload_real(api, data_dir, queue)
    assert resp.status_code == 200, resp.text
    assert resp.json()["upserted"] == 2976
    again = upload_real(api, data_dir, queue)  # same rows again: replaced, not duplicated
    assert again.json()["upserted"] == 2976
    rows = api.get(
        "/history",
        params={"queue": queue, "start": "2023-03-01T00:00:00Z", "end": "2023-03-01T01:00Z"},
    ).json()
    assert [r["offered"] for r in rows] == [15, 11, 13, 9]
    assert rows[0]["aht_seconds"] == pytest.approx(413.8666666666667)
    queues = {q["queue"]: q for q in api.get("/history/queues").json()}
    assert queues[queue]["intervals"] == 2976


def test_multipart_canonical_csv_and_json_history(api: TestClient) -> None:
    queue = f"m-{uuid.uuid4().hex[:6]}"
    csv = (
        "interval_start,offered,handled,abandoned,aht_seconds,answered_within_sl,asa_seconds\n"
        "2025-03-03T09:00:00+01:00,10,9,1,300,8,12\n"
        "2025-03-03T09:30:00+01:00,20,18,2,200,18,6\n"
    )
    resp = api.post(f"/history/upload?queue={queue}", files={"file": ("x.csv", csv, "text/csv")})
    assert resp.status_code == 200, resp.text
    resp = api.post(
        "/history",
        json={
            "queue": queue,
            "intervals": [
                {
                    "interval_start": "2025-03-03T09:30:00Z",
                    "offered": 30,
                    "handled": 30,
                    "abandoned": 0,
                }
            ],
        },
    )
    assert resp.status_code == 200, resp.text
    report = api.get("/reports/service-level", params={"queue": queue, "interval": "1h"}).json()
    first = report["rows"][0]
    assert first["interval_start"].startswith("2025-03-03T08:00")
    assert first["offered"] == 30 and first["abandoned"] == 3
    assert first["abandonment_rate"] == pytest.approx(0.1)
    assert first["aht_seconds"] == pytest.approx((300 * 9 + 200 * 18) / 27)
    assert first["service_level"] == pytest.approx(26 / 30)
    assert report["rows"][1]["offered"] == 30
    csv_report = api.get(
        "/reports/service-level", params={"queue": queue, "interval": "1h", "format": "csv"}
    )
    assert csv_report.headers["content-type"].startswith("text/csv")
    assert csv_report.text.splitlines()[0].startswith("queue,interval_start,offered")


@pytest.mark.parametrize(
    ("csv", "params", "field"),
    [
        ("tc,call_volume\nnot-a-time,3\n", {}, "file row 2 interval_start"),
        ("tc,call_volume\n2025-01-01 00:00,-3\n", {}, "file row 2 offered"),
        ("when,n\n2025-01-01 00:00,3\n", {}, "file"),
        ("tc,call_volume\n2025-01-01 00:00,3\n", {"tz": "Mars/Base"}, "tz"),
    ],
)
def test_bad_csv_is_a_422(api: TestClient, csv: str, params: dict[str, str], field: str) -> None:
    resp = api.post(
        "/history/upload",
        params={"queue": "bad", **params},
        content=csv,
        headers={"content-type": "text/csv"},
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["field"] == field


def test_column_mapping_for_other_exports(api: TestClient) -> None:
    csv = "when,n\n2025-01-01 00:00,3\n2025-01-01 00:15,4\n"
    resp = api.post(
        "/history/upload",
        params={
            "queue": "mapped",
            "columns": "when:interval_start,n:offered",
            "tz": "Europe/Paris",
        },
        content=csv,
        headers={"content-type": "text/csv"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["first"].startswith("2024-12-31T23:00")


def test_forecast_job_from_stored_history(api: TestClient, data_dir: Path) -> None:
    queue = f"j-{uuid.uuid4().hex[:6]}"
    assert upload_real(api, data_dir, queue, days=15).status_code == 200
    request_id = uuid.uuid4().hex
    body = {"request_id": request_id, "queue": queue, "metric": "volume", "periods": 96}
    resp = api.post("/forecasts", json=body)
    assert resp.status_code == 202, resp.text
    assert resp.json() == {"id": request_id, "status": "pending"}
    job = wait_job(api, request_id)
    assert job["status"] == "done", job
    assert len(job["points"]) == 96 and job["points"][0]["ds"].startswith("2023-03-16T00:00")
    assert job["model"] in job["accuracy"]["candidates"]
    assert job["accuracy"]["wape"] is not None
    # Same request id: the same job, not a new one.
    again = api.post("/forecasts", json=body)
    assert again.status_code == 202 and again.json() == {"id": request_id, "status": "done"}
    listed = next(j for j in api.get("/forecasts").json() if j["id"] == request_id)
    # A list leaves the points out but says the period they cover and their step.
    assert listed["points"] is None
    assert listed["period_start"].startswith("2023-03-16T00:00")
    assert listed["period_end"].startswith("2023-03-16T23:45")
    assert listed["interval_minutes"] == 15
    # Upload the actuals of the forecast day and compare.
    assert upload_real(api, data_dir, queue, days=16).status_code == 200
    report = api.get("/reports/forecast-accuracy", params={"forecast_id": request_id}).json()
    assert report["matched"] == 96 and report["wape"] is not None
    csv = api.get("/reports/forecast-accuracy", params={"forecast_id": request_id, "format": "csv"})
    assert len(csv.text.strip().splitlines()) == 97


def test_aht_job_with_inline_history_and_bad_jobs(api: TestClient) -> None:
    history = [{"ds": f"2025-01-{d:02d}T00:00:00Z", "y": 300 + d} for d in range(1, 11)]
    resp = api.post("/forecasts", json={"history": history, "periods": 3, "metric": "aht"})
    assert resp.status_code == 202, resp.text
    job = wait_job(api, resp.json()["id"])
    assert job["status"] == "done" and len(job["points"]) == 3
    assert api.post("/forecasts", json={"periods": 3}).status_code == 422
    missing = api.post("/forecasts", json={"queue": "nobody-here"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "body.queue"
    assert api.get("/forecasts/does-not-exist").status_code == 404
