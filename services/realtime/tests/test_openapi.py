"""The OpenAPI document lists the content types the realtime endpoints really serve."""

from __future__ import annotations

from opticall_realtime.config import Settings
from opticall_realtime.main import create_app


def test_adherence_report_documents_json_and_csv() -> None:
    app = create_app(Settings(OPTICALL_ENV="test", database_url="sqlite://"))
    op = app.openapi()["paths"]["/reports/adherence"]["get"]
    content = op["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv"}
    assert content["text/csv"]["schema"] == {"type": "string"}
    assert any(p["name"] == "format" for p in op["parameters"])
