"""Raw ASGI responses for the edge: problem+json and JSON without a framework in the way."""

from __future__ import annotations

import orjson
from starlette.types import Send

from opticall_common.problems import title_of

Headers = list[tuple[bytes, bytes]]

PROBLEM_JSON = b"application/problem+json"


async def send_json(
    send: Send,
    status: int,
    body: bytes,
    headers: Headers,
    content_type: bytes = b"application/json",
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_problem(
    send: Send,
    status: int,
    detail: str,
    headers: Headers,
    instance: str | None = None,
) -> None:
    problem: dict[str, object] = {
        "type": "about:blank",
        "title": title_of(status),
        "status": status,
        "detail": detail,
    }
    if instance:
        problem["instance"] = instance
    await send_json(send, status, orjson.dumps(problem), headers, PROBLEM_JSON)
