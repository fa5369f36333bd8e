"""Gateway unit tests: a real uvicorn upstream in a thread (echo, JWKS, WebSocket) and the
gateway app in a TestClient, with tokens from TokenFactory."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.testclient import TestClient
from services.gateway.tests.helpers import CSV_ROWS, TICKETS

from opticall_common.testing import TokenFactory
from opticall_gateway.config import Settings
from opticall_gateway.main import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def upstream_app(factory: TokenFactory) -> FastAPI:
    app = FastAPI(title="upstream")

    @app.middleware("http")
    async def mark(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers["x-upstream"] = "echo"
        return response

    @app.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, Any]:
        return factory.jwks()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.head("/agents/{agent_id}", include_in_schema=False)
    async def agent_head(agent_id: str) -> Response:
        return Response(headers={"content-length": str(len(f'{{"agent_id":"{agent_id}"}}'))})

    @app.get("/agents/{agent_id}", summary="Upstream's own summary of one agent")
    async def agent(agent_id: str) -> dict[str, str]:
        if agent_id == "slow":
            await asyncio.sleep(2)
        return {"agent_id": agent_id}

    @app.post("/history/upload")
    async def upload(request: Request) -> dict[str, Any]:
        digest, size = hashlib.sha256(), 0
        async for chunk in request.stream():
            digest.update(chunk)
            size += len(chunk)
        return {"bytes": size, "sha256": digest.hexdigest()}

    @app.get("/reports/service-level")
    async def report() -> StreamingResponse:
        async def rows() -> AsyncIterator[bytes]:
            yield b"interval,sl\n"
            # Many chunks, as a report streamed from a database cursor would be.
            for start in range(0, CSV_ROWS, 1000):
                yield "".join(f"{i},0.8\n" for i in range(start, start + 1000)).encode()

        return StreamingResponse(rows(), media_type="text/csv")

    @app.websocket("/realtime/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(
            {
                "type": "hello",
                "authorization": websocket.headers.get("authorization"),
                "query": websocket.url.query,
                "forwarded_for": websocket.headers.get("x-forwarded-for"),
            }
        )
        while True:
            text = await websocket.receive_text()
            if text == "bye":
                await websocket.close(code=4000, reason="bye")
                return
            await websocket.send_text(f"echo:{text}")

    @app.post("/internal/ws-tickets/redeem", include_in_schema=False)
    async def redeem(request: Request) -> JSONResponse:
        token = TICKETS.pop((await request.json())["ticket"], None)
        if token is None:
            return JSONResponse({"detail": "invalid ticket"}, status_code=401)
        return JSONResponse({"access_token": token})

    @app.get("/internal/debug", summary="Not in the route table: never public")
    async def internal() -> dict[str, str]:
        return {"secret": "yes"}

    @app.api_route(
        "/{path:path}", methods=["GET", "POST", "PATCH", "DELETE"], include_in_schema=False
    )
    async def echo(path: str, request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "headers": dict(request.headers),
                "body": body.decode(errors="replace"),
            },
            headers={"x-request-id": "upstream-made-this-up"},
        )

    return app


@pytest.fixture(scope="session")
def factory() -> TokenFactory:
    return TokenFactory()


@pytest.fixture(scope="session")
def upstream(factory: TokenFactory) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        upstream_app(factory), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "upstream did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


def gateway_settings(upstream: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "auth_url": upstream,
        "scheduling_url": upstream,
        "forecasting_url": upstream,
        "realtime_url": upstream,
        "jwks_url": f"{upstream}/.well-known/jwks.json",
        "log_json": False,
        "env": "test",  # the development forwarded secret (test_proxy checks its signature)
        **overrides,
    }
    return Settings(**values)


@pytest.fixture(scope="session")
def client(upstream: str) -> Iterator[TestClient]:
    with TestClient(create_app(gateway_settings(upstream))) as client:
        yield client


@pytest.fixture
def make_client(upstream: str) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(create_app(gateway_settings(upstream, **overrides)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
