"""The gateway's own pages: the merged OpenAPI document, docs, readiness."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from services.gateway.tests.helpers import bearer

from opticall_common.testing import TokenFactory
from opticall_gateway.route_table import GATEWAY, ROUTES

CLOSED = "http://127.0.0.1:9"


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _assert_lists_every_route(doc: dict[str, Any]) -> None:
    listed = {(_shape(p), m.upper()) for p, item in doc["paths"].items() for m in item}
    for spec in ROUTES:
        for method in spec.methods:
            assert ((_shape(spec.path), method) in listed) == spec.in_schema, (method, spec.path)


def test_openapi_merges_upstream_operations(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    _assert_lists_every_route(doc)
    one_agent = doc["paths"]["/agents/{agent_id}"]["get"]
    assert one_agent["summary"] == "Upstream's own summary of one agent"
    assert one_agent["security"] == [{"bearerAuth": []}]
    assert "403" in one_agent["responses"]
    assert one_agent["x-opticall-roles"] == ["admin", "supervisor"]
    assert doc["paths"]["/login"]["post"]["security"] == []
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert doc["paths"]["/protected"]["get"]["x-opticall-roles"] == ["any"]
    # An upstream route that is not in the table is not public API.
    assert "/internal/debug" not in doc["paths"]


def test_openapi_lists_routes_of_services_that_are_down(make_client: Any) -> None:
    client = make_client(scheduling_url=CLOSED, forecasting_url=CLOSED, realtime_url=CLOSED)
    doc = client.get("/openapi.json").json()
    _assert_lists_every_route(doc)
    assert "unavailable" in doc["paths"]["/shifts"]["get"]["description"]


def test_html_pages_and_assets_are_not_in_the_document(client: TestClient) -> None:
    # They serve HTML and files, and "{path:path}" is no valid OpenAPI path parameter.
    doc = client.get("/openapi.json").json()
    assert not {"/", "/docs"} & set(doc["paths"])
    assert not [p for p in doc["paths"] if p.startswith("/static")]


def _media(content_type: str) -> str:
    return content_type.split(";")[0].strip()


def test_every_gateway_operation_answers_what_it_documents(
    client: TestClient, factory: TokenFactory
) -> None:
    doc = client.get("/openapi.json").json()
    token = factory.token(roles=("agent",))
    own = [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if op["x-opticall-service"] == GATEWAY
    ]
    assert {p for p, _, _ in own} == {
        "/protected",
        "/healthz",
        "/readyz",
        "/openapi.json",
    }
    for path, method, op in own:
        headers = bearer(token) if op["security"] else {}
        resp = client.request(method.upper(), path, headers=headers)
        documented = op["responses"].get(str(resp.status_code)) or op["responses"]["default"]
        assert _media(resp.headers["content-type"]) in documented["content"], (path, resp)
        assert resp.status_code == 200, path
        if path != "/protected":
            assert op["security"] == []
    unauthorized = client.get("/protected")
    assert unauthorized.status_code == 401
    assert "401" in doc["paths"]["/protected"]["get"]["responses"]


def test_readyz_documents_its_503_as_the_same_report(client: TestClient) -> None:
    op = (client.get("/openapi.json").json())["paths"]["/readyz"]["get"]
    assert (
        op["responses"]["503"]["content"]["application/json"]
        == (op["responses"]["200"]["content"]["application/json"])
    )


def test_docs_page_points_at_the_merged_document(client: TestClient) -> None:
    resp = client.get("/docs")
    assert resp.status_code == 200
    assert "/openapi.json" in resp.text


def test_readyz_reports_each_upstream(client: TestClient) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json()["checks"] == {
        "jwks": "ok",
        "auth": "ok",
        "scheduling": "ok",
        "forecasting": "ok",
        "realtime": "ok",
    }


def test_readyz_needs_auth_but_not_the_others(make_client: Any) -> None:
    degraded = make_client(forecasting_url=CLOSED).get("/readyz")
    assert degraded.status_code == 200
    assert degraded.json()["checks"]["forecasting"] != "ok"
    down = make_client(auth_url=CLOSED, jwks_url=CLOSED + "/jwks").get("/readyz")
    assert down.status_code == 503
    assert down.json()["status"] == "unavailable"


def test_dashboard_slot_answers_at_root(client: TestClient) -> None:
    resp = client.get("/")
    assert resp.status_code == 200
