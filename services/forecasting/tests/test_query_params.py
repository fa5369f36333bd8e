"""Every unusable query parameter or timestamp is a 422 problem naming it, never a 500.

Found by fuzzing: ``?interval=`` (pandas reads "" as NaT), huge intervals (overflow), and
bounds such as ``0001-01-01T00:00:00+01:00`` whose conversion to UTC overflows.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from opticall_forecasting.reports import parse_interval
from opticall_forecasting.series import SeriesError

REPORT = "/reports/service-level"


@pytest.fixture(scope="module")
def queue(api: TestClient) -> str:
    name = f"p-{uuid.uuid4().hex[:6]}"
    intervals = [
        {"interval_start": f"2025-03-03T09:{m:02d}:00Z", "offered": 10, "handled": 9}
        for m in (0, 15, 30, 45)
    ]
    resp = api.post("/history", json={"queue": name, "intervals": intervals})
    assert resp.status_code == 200, resp.text
    return name


def assert_422(resp: Any, field: str) -> None:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    "interval",
    [
        "",
        " ",
        "0",
        "0min",
        "-1h",
        "nan",
        "NaT",
        "inf",
        "abc",
        "90s",
        "32d",
        "99999999999999d",
        "9999999999999999",
    ],
)
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_bad_interval_is_a_422_naming_it(
    api: TestClient, queue: str, interval: str, fmt: str
) -> None:
    resp = api.get(REPORT, params={"queue": queue, "interval": interval, "format": fmt})
    assert_422(resp, "query.interval")


@pytest.mark.parametrize(
    ("interval", "label", "rows"),
    [("15min", "15min", 4), ("15T", "15min", 4), ("1H", "1h", 1), ("1 day", "1d", 1)],
)
def test_interval_spellings(
    api: TestClient, queue: str, interval: str, label: str, rows: int
) -> None:
    resp = api.get(REPORT, params={"queue": queue, "interval": interval})
    assert resp.status_code == 200, resp.text
    assert resp.json()["interval"] == label
    assert len(resp.json()["rows"]) == rows


def test_parse_interval_accepts_iso_8601_and_refuses_nat() -> None:
    assert parse_interval("PT15M").total_seconds() == 900
    assert parse_interval("P1D").total_seconds() == 86_400
    with pytest.raises(SeriesError):
        parse_interval("")


@pytest.mark.parametrize("path", [REPORT, "/history"])
@pytest.mark.parametrize(
    ("params", "rows"),
    [
        ({"start": "0001-01-01T00:00:00+01:00"}, 4),
        ({"end": "9999-12-31T23:59:59-01:00"}, 4),
        ({"start": "9999-12-31T23:59:59-01:00"}, 0),
        ({"end": "0001-01-01T00:00:00+01:00"}, 0),
    ],
)
def test_extreme_bounds_are_clamped_not_500(
    api: TestClient, queue: str, path: str, params: dict[str, str], rows: int
) -> None:
    query = {"queue": queue, "interval": "15min", **params} if path == REPORT else params
    resp = api.get(path, params={"queue": queue, **query})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert len(body["rows"] if path == REPORT else body) == rows


@pytest.mark.parametrize("path", [REPORT, "/history"])
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": ""}, "query.start"),
        ({"start": "2025-03-04T00:00:00Z", "end": "2025-03-03T00:00:00Z"}, "query.end"),
    ],
)
def test_bad_bounds_are_a_422(
    api: TestClient, queue: str, path: str, params: dict[str, str], field: str
) -> None:
    assert_422(api.get(path, params={"queue": queue, **params}), field)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"forecast_id": ""}, "query.forecast_id"),
        ({}, "query.forecast_id"),
        ({"forecast_id": "x", "format": ""}, "query.format"),
    ],
)
def test_bad_accuracy_params_are_a_422(api: TestClient, params: dict[str, str], field: str) -> None:
    assert_422(api.get("/reports/forecast-accuracy", params=params), field)


@pytest.mark.parametrize(
    ("body", "query", "field"),
    [
        (
            [{"ds": "0001-01-01T00:00:00+01:00", "y": 1}, {"ds": "2025-01-01", "y": 2}],
            "",
            "body[0].ds",
        ),
        ([{"ds": "2300-01-01", "y": 1}, {"ds": "2300-01-02", "y": 2}], "", "body[0].ds"),
        ([{"ds": "2025-01-01", "y": 1}, {"ds": "2026-01-01", "y": 2}], "?periods=500", "periods"),
        (
            {
                "history": [{"ds": "2025-01-01", "y": 1}, {"ds": "2025-01-02", "y": 2}],
                "future": ["9999-12-31T23:00:00-05:00"],
            },
            "",
            "body.future[0]",
        ),
    ],
)
def test_predict_timestamps_out_of_range_are_a_422(
    api: TestClient, body: Any, query: str, field: str
) -> None:
    assert_422(api.post("/predict" + query, json=body), field)


def test_forecast_job_bounds_are_checked(api: TestClient, queue: str) -> None:
    resp = api.post(
        "/forecasts",
        json={"queue": queue, "start": "2025-03-04T00:00:00Z", "end": "2025-03-03T00:00:00Z"},
    )
    assert_422(resp, "body.end")
