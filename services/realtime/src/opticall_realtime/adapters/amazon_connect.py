"""Amazon Connect agent event stream records (Kinesis), one record, a list, or a Lambda
Kinesis event (``{"Records": [{"kinesis": {"data": <base64 JSON>}}]}``).

``EventType``: ``LOGIN``, ``LOGOUT``, ``STATE_CHANGE``, ``HEART_BEAT``. The state comes from
``CurrentAgentSnapshot``: a contact ``CONNECTED``/``CONNECTED_ONHOLD`` means on_call, one
``ENDED`` means after-contact work; otherwise the agent status ``Name`` (``Available``,
``Offline``, or a custom status such as ``Break`` or ``Lunch``) decides.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from opticall_realtime.adapters.base import (
    AdapterError,
    as_list,
    classify_reason,
    event,
    load_json,
    obj,
    timestamp,
)
from opticall_realtime.config import Settings

SOURCE = "amazon-connect"
ON_CALL = {"CONNECTED", "CONNECTED_ONHOLD"}


def _records(data: Any) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get("Records"), list):
        out = []
        for rec in data["Records"]:
            encoded = obj(rec, "Records[]").get("kinesis", {}).get("data")
            try:
                out.append(load_json(base64.b64decode(encoded, validate=True)))
            except (binascii.Error, TypeError) as exc:
                raise AdapterError("Records[].kinesis.data must be base64 JSON") from exc
        return out
    return as_list(data)


def _state(snapshot: dict[str, Any]) -> tuple[str, str | None, str | None]:
    contacts = snapshot.get("Contacts") or []
    queue = None
    for contact in contacts:
        queue = queue or (contact.get("Queue") or {}).get("Name")
    contact_states = {str(c.get("State", "")).upper() for c in contacts}
    if contact_states & ON_CALL:
        return "on_call", queue, None
    if "ENDED" in contact_states:
        return "after_call_work", queue, None
    status = obj(snapshot.get("AgentStatus"), "CurrentAgentSnapshot.AgentStatus")
    name = str(status.get("Name", ""))
    if status.get("Type") == "OFFLINE" or name.lower() == "offline":
        return "logged_out", queue, None
    if name.lower() == "available" or status.get("Type") == "ROUTABLE":
        return "available", queue, None
    return classify_reason(name), queue, name


def parse(body: bytes, content_type: str, settings: Settings) -> list[dict[str, Any]]:
    out = []
    for raw in _records(load_json(body)):
        rec = obj(raw, "record")
        kind = rec.get("EventType")
        if kind not in {"LOGIN", "LOGOUT", "STATE_CHANGE", "HEART_BEAT"}:
            raise AdapterError(f"unknown EventType {kind!r}")
        snapshot = rec.get("CurrentAgentSnapshot") or {}
        config = snapshot.get("Configuration") or {}
        agent = config.get("Username") or str(rec.get("AgentARN", "")).rsplit("/", 1)[-1]
        if kind == "LOGOUT":
            state, queue, reason = "logged_out", None, None
        else:
            state, queue, reason = _state(obj(snapshot, "CurrentAgentSnapshot"))
        out.append(
            event(
                agent,
                state,
                timestamp(rec.get("EventTimestamp"), "EventTimestamp"),
                SOURCE,
                event_id=rec.get("EventId"),
                queue=queue,
                reason=reason,
                vendor_event=kind,
            )
        )
    return out
