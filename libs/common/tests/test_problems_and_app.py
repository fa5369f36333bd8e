"""The service app factory: problem+json errors, health, metrics, role checks."""
# No "from __future__ import annotations": FastAPI must resolve the local dependency alias.

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from opticall_common.app import create_service_app
from opticall_common.problems import Problem
from opticall_common.security import Principal, Role, role_dependency
from opticall_common.settings import ServiceSettings
from opticall_common.testing import TokenFactory

tokens = TokenFactory()
verifier = tokens.verifier()


class Body(BaseModel):
    count: int


def make_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield

    def broken() -> None:
        raise RuntimeError("db down")

    app = create_service_app(
        "demo",
        ServiceSettings(OPTICALL_ENV="test"),
        lifespan=lifespan,
        checks=lambda: {"ok": lambda: None, "db": broken},
    )
    supervisor = role_dependency(lambda _: verifier, Role.supervisor, Role.admin)

    @app.post("/things")
    async def things(body: Body, who: Annotated[Principal, Depends(supervisor)]) -> dict[str, str]:
        if body.count > 10:
            raise Problem(409, "too many things")
        return {"by": who.username}

    @app.get("/boom")
    async def boom() -> None:
        raise ValueError("secret internals")

    return app


client = TestClient(make_app(), raise_server_exceptions=False)


def auth(*roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.token(roles=roles)}"}


def test_validation_error_is_problem_json_naming_the_field() -> None:
    resp = client.post("/things", json={"count": "many"}, headers=auth("admin"))
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["errors"][0]["field"] == "body.count"


def test_typed_problem_maps_to_its_status() -> None:
    resp = client.post("/things", json={"count": 11}, headers=auth("supervisor"))
    assert resp.status_code == 409
    assert resp.json()["detail"] == "too many things"


def test_missing_token_is_401_and_wrong_role_403() -> None:
    assert client.post("/things", json={"count": 1}).status_code == 401
    resp = client.post("/things", json={"count": 1}, headers=auth("agent"))
    assert resp.status_code == 403
    assert resp.headers["content-type"] == "application/problem+json"


def test_unexpected_errors_leak_nothing() -> None:
    resp = client.get("/boom")
    assert resp.status_code == 500
    assert "secret" not in resp.text
    assert resp.json()["title"] == "Internal Server Error"


def test_unknown_route_is_problem_404() -> None:
    resp = client.get("/nope")
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/problem+json"


def test_readyz_reports_each_check() -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 503
    checks = resp.json()["checks"]
    assert checks["ok"] == "ok"
    assert "db down" in checks["db"]


def test_metrics_count_requests_by_route_template() -> None:
    client.get("/healthz")
    text = client.get("/metrics").text
    assert (
        'opticall_http_requests_total{method="GET",route="/healthz",service="demo",status="200"}'
        in text
    )


def test_head_answers_like_get_without_the_body() -> None:
    get = client.get("/healthz")
    head = client.head("/healthz")
    assert head.status_code == get.status_code
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"] != "0"
    assert head.headers["content-type"] == get.headers["content-type"]
    assert client.head("/things").status_code == 405  # no GET there: still refused
