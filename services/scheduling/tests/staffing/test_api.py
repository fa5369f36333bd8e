"""``/staffing``, ``/staffing/evaluate``, ``/staffing/plan`` over HTTP: shapes, 422s, roles.

The forecasting service is stood in for by a small in-process app (its contract: GET
/forecasts/{id} → {"id","status","result":{"points":[...]}}); the real one is exercised by the
integration tests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Header, HTTPException
from fastapi.testclient import TestClient

CANONICAL = {
    "interval_minutes": 30,
    "service_level": 0.8,
    "answer_seconds": 20,
    "max_occupancy": 0.85,
    "shrinkage": 0.3,
    "model": "erlang_c",
    "intervals": [{"start": "2026-03-02T09:00:00+01:00", "volume": 100, "aht_seconds": 180}],
}


def test_canonical_case(client: TestClient) -> None:
    resp = client.post("/staffing", json=CANONICAL)
    assert resp.status_code == 200, resp.text
    [iv] = resp.json()["intervals"]
    assert iv["start"] == "2026-03-02T08:00:00Z"
    assert (iv["agents_raw"], iv["agents_required"]) == (14, 20)
    assert set(iv) >= {"service_level", "asa_seconds", "occupancy", "p_wait"}
    assert 0.8 <= iv["service_level"] < 0.9


def test_erlang_a(client: TestClient) -> None:
    body = {**CANONICAL, "model": "erlang_a", "patience_seconds": 120}
    resp = client.post("/staffing", json=body)
    assert resp.status_code == 200, resp.text
    [iv] = resp.json()["intervals"]
    assert iv["agents_raw"] <= 14  # callers who hang up shorten the queue
    assert 0 < iv["abandonment"] < 0.2
    assert iv["service_level"] >= 0.8


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"service_level": 1.0}, "service_level"),
        ({"service_level": 0}, "service_level"),
        ({"max_occupancy": 0}, "max_occupancy"),
        ({"max_occupancy": 1.2}, "max_occupancy"),
        ({"shrinkage": 1.0}, "shrinkage"),
        ({"shrinkage": -0.1}, "shrinkage"),
        ({"interval_minutes": 7}, "interval_minutes"),
        ({"model": "erlang_x"}, "model"),
        ({"model": "erlang_a"}, "body"),  # patience_seconds missing
        ({"intervals": [{"start": "2026-03-02T09:00:00Z", "volume": -1, "aht_seconds": 1}]},
         "volume"),
        ({"intervals": [{"start": "2026-03-02T09:00:00Z", "volume": 1, "aht_seconds": 0}]},
         "aht_seconds"),
        ({"intervals": [{"start": "2026-03-02T09:00:00", "volume": 1, "aht_seconds": 10}]},
         "start"),
        ({"intervals": [{"start": "2026-03-02T09:00:00Z", "volume": 1e6, "aht_seconds": 86400}]},
         "volume"),
        ({"intervals": [{"start": "2026-03-02T09:00:00Z", "volume": 1, "aht_seconds": 1}]
          * 10_001}, "intervals"),
    ],
)  # fmt: skip
def test_invalid_input_is_422_problem(
    client: TestClient, patch: dict[str, Any], field: str
) -> None:
    resp = client.post("/staffing", json={**CANONICAL, **patch})
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert field in resp.text


def test_evaluate_round_trip(client: TestClient) -> None:
    staffed = client.post("/staffing", json=CANONICAL).json()["intervals"][0]
    body = {
        **CANONICAL,
        "intervals": [{**CANONICAL["intervals"][0], "agents": staffed["agents_required"]}],  # type: ignore[index]
    }
    resp = client.post("/staffing/evaluate", json=body)
    assert resp.status_code == 200, resp.text
    [ev] = resp.json()["intervals"]
    assert ev["agents_productive"] == 14 and ev["meets_target"]
    assert ev["service_level"] == pytest.approx(staffed["service_level"])
    body["intervals"][0]["agents"] = 10  # 7 on the phones for 10 Erlangs: unstable
    [ev] = client.post("/staffing/evaluate", json=body).json()["intervals"]
    assert ev["service_level"] == 0 and ev["asa_seconds"] is None and not ev["meets_target"]


def test_roles(client: TestClient, as_role: Callable[..., dict[str, str]]) -> None:
    assert client.post("/staffing", json=CANONICAL, headers=as_role("agent")).status_code == 403
    assert client.post("/staffing", json=CANONICAL, headers=as_role("admin")).status_code == 200
    assert (
        client.post("/staffing", json=CANONICAL, headers={"Authorization": ""}).status_code == 401
    )


T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def fake_forecasting() -> FastAPI:
    app = FastAPI()
    points = {
        "vol": [(T0 + timedelta(minutes=30 * i), 100.0 if i else -3.0) for i in range(4)],
        "aht": [(T0 + timedelta(minutes=30 * i), 180.0) for i in range(4)],
    }

    @app.get("/forecasts/{fid}")
    def get(fid: str, authorization: str = Header("")) -> dict[str, Any]:
        if not authorization.startswith("Bearer "):
            raise HTTPException(401)
        if fid == "running":
            return {"id": fid, "status": "running", "result": None}
        if fid not in points:
            raise HTTPException(404)
        pts = [
            {
                "ds": ds.isoformat().replace("+00:00", ""),
                "yhat": y,
                "yhat_lower": y,
                "yhat_upper": y,
            }
            for ds, y in points[fid]
        ]
        return {"id": fid, "status": "done", "result": {"points": pts}}

    return app


@pytest.fixture
def forecasting(client: TestClient) -> None:
    transport = httpx.ASGITransport(app=fake_forecasting())
    client.app.state.runtime.res.http = httpx.AsyncClient(transport=transport)  # type: ignore[attr-defined]


PLAN = {k: v for k, v in CANONICAL.items() if k != "intervals"}


def test_plan_from_forecasts(client: TestClient, forecasting: None) -> None:
    body = {**PLAN, "forecast_id": "vol", "aht_forecast_id": "aht", "queue": "sales"}
    body["queues"] = [{"queue": "billing", "intervals": CANONICAL["intervals"]}]
    resp = client.post("/staffing/plan", json=body)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    sales = [iv for iv in out["intervals"] if iv["queue"] == "sales"]
    assert [iv["agents_required"] for iv in sales] == [0, 20, 20, 20]  # negative yhat → 0
    assert sales[1]["volume"] == 100 and sales[1]["aht_seconds"] == 180
    billing = [iv for iv in out["intervals"] if iv["queue"] == "billing"]
    assert billing[0]["agents_required"] == 20
    totals = {t["start"]: t["agents_required"] for t in out["totals"]}
    assert totals["2026-03-02T08:00:00Z"] == 20  # sales 0 + billing 20


@pytest.mark.parametrize(
    ("patch", "status"),
    [
        ({"forecast_id": "nope", "aht_seconds": 180}, 422),
        ({"forecast_id": "running", "aht_seconds": 180}, 409),
        ({"forecast_id": "vol"}, 422),  # no AHT at all
        ({"forecast_id": "vol", "aht_seconds": 180, "interval_minutes": 15}, 422),
        ({}, 422),
    ],
)
def test_plan_errors(
    client: TestClient, forecasting: None, patch: dict[str, Any], status: int
) -> None:
    resp = client.post("/staffing/plan", json={**PLAN, **patch})
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_plan_forecasting_down_is_503(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = client.app.state.runtime.settings  # type: ignore[attr-defined]
    monkeypatch.setattr(settings, "forecasting_url", "http://127.0.0.1:9")
    resp = client.post("/staffing/plan", json={**PLAN, "forecast_id": "x", "aht_seconds": 60})
    assert resp.status_code == 503, resp.text
