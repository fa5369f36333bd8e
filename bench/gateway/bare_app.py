"""The benchmark's baseline and upstream: a bare FastAPI app, nothing but its endpoints.

It answers ``/protected`` with the same JSON the gateway returns (the /protected baseline),
``/agents`` as an upstream would (the proxied baseline, called directly and through the
gateway), and the JWKS the bench's TokenFactory signs with (so the gateway verifies real
tokens without any test hook of its own). Run: ``uvicorn bare_app:app`` with BENCH_JWKS set.
"""

from __future__ import annotations

import json
import os
from typing import Any

from fastapi import FastAPI

from opticall_common.revocations import REVOCATIONS_PATH

app = FastAPI()
AGENTS = [
    {"agent_id": f"a-{i}", "name": f"Agent {i}", "queues": ["sales"], "timezone": "UTC"}
    for i in range(5)
]


@app.get("/protected")
async def protected() -> dict[str, Any]:
    return {"username": "bench", "roles": ["admin"]}


@app.get("/agents")
async def agents() -> list[dict[str, Any]]:
    return AGENTS


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/.well-known/jwks.json")
async def jwks() -> dict[str, Any]:
    return dict(json.loads(os.environ["BENCH_JWKS"]))


@app.get(REVOCATIONS_PATH)
async def revocations() -> dict[str, Any]:
    return {"revocations": []}  # the gateway polls auth's list; nobody is revoked here
