"""Genesys Cloud notifications: ``v2.users.{id}.presence`` and ``v2.users.{id}.routingStatus``.

Presence ``systemPresence``: AVAILABLE/ON_QUEUE -> available, BREAK -> break, MEAL -> lunch,
MEETING -> meeting, TRAINING -> training, BUSY/AWAY/IDLE -> not_ready, OFFLINE -> logged_out.
Routing status: IDLE -> available, INTERACTING/COMMUNICATING -> on_call, NOT_RESPONDING ->
not_ready. OFF_QUEUE carries no state of its own (the presence notification that goes with it
does), so it is skipped. Presence bodies often have no time: the receipt time is used then.
"""

from __future__ import annotations

from typing import Any

from opticall_realtime.adapters.base import (
    AdapterError,
    as_list,
    event,
    load_json,
    now_iso,
    obj,
    timestamp,
)
from opticall_realtime.config import Settings

SOURCE = "genesys"
PRESENCE = {
    "AVAILABLE": "available",
    "ON_QUEUE": "available",
    "BREAK": "break",
    "MEAL": "lunch",
    "MEETING": "meeting",
    "TRAINING": "training",
    "BUSY": "not_ready",
    "AWAY": "not_ready",
    "IDLE": "not_ready",
    "OFFLINE": "logged_out",
}
ROUTING = {
    "IDLE": "available",
    "INTERACTING": "on_call",
    "COMMUNICATING": "on_call",
    "NOT_RESPONDING": "not_ready",
}


def _one(raw: Any) -> dict[str, Any] | None:
    note = obj(raw, "notification")
    topic = str(note.get("topicName", ""))
    parts = topic.split(".")
    if len(parts) != 4 or parts[:2] != ["v2", "users"]:
        raise AdapterError(f"unsupported topicName {topic!r}")
    agent, kind = parts[2], parts[3]
    body = obj(note.get("eventBody"), "eventBody")
    event_id = (note.get("metadata") or {}).get("CorrelationId")
    if kind == "presence":
        definition = obj(body.get("presenceDefinition"), "eventBody.presenceDefinition")
        name = str(definition.get("systemPresence", "")).upper().replace(" ", "_")
        if name not in PRESENCE:
            raise AdapterError(f"unknown systemPresence {name!r}")
        state = PRESENCE[name]
        when = body.get("modifiedDate")
        reason = name if state == "not_ready" else None
    elif kind == "routingStatus":
        routing = body.get("routingStatus", body)
        status = str(routing.get("status", "") if isinstance(routing, dict) else routing).upper()
        if status == "OFF_QUEUE":
            return None
        if status not in ROUTING:
            raise AdapterError(f"unknown routingStatus {status!r}")
        state = ROUTING[status]
        when = routing.get("startTime") if isinstance(routing, dict) else None
        reason = status if state == "not_ready" else None
    else:
        raise AdapterError(f"unsupported topic kind {kind!r}")
    ts = timestamp(when, "time") if when else now_iso()
    return event(agent, state, ts, SOURCE, event_id=event_id, reason=reason)


def parse(body: bytes, content_type: str, settings: Settings) -> list[dict[str, Any]]:
    return [e for e in (_one(item) for item in as_list(load_json(body))) if e is not None]
