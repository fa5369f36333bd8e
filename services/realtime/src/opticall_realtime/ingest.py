"""Write side over HTTP: ``POST /events`` and ``POST /events/{vendor}`` -> ``agent-events``.

A list is all-or-nothing: if any item is invalid the request is refused with 422 naming each
bad index and field, and nothing is published, so a client can fix and resend the whole batch
(event ids make the resend idempotent). A 202 means every event is acknowledged by Kafka.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from opticall_common import topics
from opticall_common.events import AgentEvent
from opticall_common.problems import Problem
from opticall_realtime.adapters import VENDORS, AdapterError
from opticall_realtime.deps import AcdDep, Runtime, RuntimeDep

router = APIRouter(tags=["events"])


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """The JSON Schema with local ``$ref``s replaced by their definitions (for OpenAPI)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def _event_body() -> dict[str, Any]:
    raw = AgentEvent.model_json_schema()
    one = _inline(raw, raw.get("$defs", {}))
    schema = {"oneOf": [one, {"type": "array", "items": one}]}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


EVENT_BODY = _event_body()


def validate_events(items: list[Any], limit: int) -> list[AgentEvent]:
    if not items:
        raise Problem(422, "no events in the request")
    if len(items) > limit:
        raise Problem(413, f"at most {limit} events per request")
    events: list[AgentEvent] = []
    errors: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        try:
            events.append(AgentEvent.model_validate(item))
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err.get("loc", ()))
                errors.append({"index": i, "field": field, "message": err.get("msg", "")})
    if errors:
        bad = sorted({e["index"] for e in errors})
        shown = ", ".join(str(i) for i in bad[:10])
        raise Problem(
            422, f"invalid event(s) at index {shown}; nothing was accepted", errors=errors
        )
    return events


async def publish(rt: Runtime, events: list[AgentEvent]) -> JSONResponse:
    try:
        await rt.publisher.publish_many(topics.AGENT_EVENTS, [(e.agent_id, e) for e in events])
    except Exception as exc:  # any broker failure: the client must retry, nothing is lost
        raise Problem(503, "the event bus is unavailable; retry the request") from exc
    return JSONResponse({"accepted": len(events)}, status_code=202)


async def _json_body(request: Request) -> Any:
    body = await request.body()
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Problem(400, f"body is not valid JSON: {exc}") from exc


@router.post("/events", status_code=202, openapi_extra=EVENT_BODY)
async def post_events(request: Request, rt: RuntimeDep, _: AcdDep) -> JSONResponse:
    """Accept one canonical agent event or a list of them, and publish to ``agent-events``."""
    data = await _json_body(request)
    items = data if isinstance(data, list) else [data]
    return await publish(rt, validate_events(items, rt.settings.max_events_per_request))


@router.post("/events/{vendor}", status_code=202)
async def post_vendor_events(
    vendor: str, request: Request, rt: RuntimeDep, _: AcdDep
) -> JSONResponse:
    """Accept a vendor's native agent-state payload (see ``opticall_realtime.adapters``)."""
    adapter = VENDORS.get(vendor)
    if adapter is None:
        raise Problem(404, f"unknown vendor {vendor!r}; known: {', '.join(sorted(VENDORS))}")
    body = await request.body()
    try:
        items = adapter(body, request.headers.get("content-type", ""), rt.settings)
    except AdapterError as exc:
        raise Problem(422, f"{vendor}: {exc}") from exc
    if not items:
        return JSONResponse({"accepted": 0}, status_code=202)  # e.g. only heartbeats of no use
    return await publish(rt, validate_events(items, rt.settings.max_events_per_request))
