"""The OpenAPI document describes what the reports really answer (schemathesis checks it)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize("path", ["/reports/service-level", "/reports/forecast-accuracy"])
def test_reports_document_their_csv_form(api: TestClient, path: str) -> None:
    ok = api.get("/openapi.json").json()["paths"][path]["get"]["responses"]["200"]
    assert {"application/json", "text/csv"} <= set(ok["content"])
    assert ok["content"]["text/csv"]["schema"] == {"type": "string"}


def test_csv_answer_has_the_documented_media_type(api: TestClient) -> None:
    resp = api.get("/reports/service-level", params={"format": "csv"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].split(";")[0] == "text/csv"
