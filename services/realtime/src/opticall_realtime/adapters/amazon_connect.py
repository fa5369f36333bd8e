"""Amazon Connect agent event stream records (Kinesis), one record, a list, or a Lambda
Kinesis event (``{"Records": [{"kinesis": {"data": <base64 JSON>}}]}``).

``EventType``: ``LOGIN``, ``LOGOUT``, ``STATE_CHANGE``, ``HEART_BEAT``. The state comes from
``CurrentAgentSnapshot``: a contact ``CONNECTED``/``CONNECTED_ONHOLD`` means on_call, one
``ENDED`` means after-contact work; otherwise the agent status ``Name`` (``Available``,
``Offline``, or a custom status such as ``Break`` or ``Lunch``) decides. A state taken from
the status is stamped with the status's ``StartTimestamp``, so a ``HEART_BEAT`` repeating it
does not move the state's start; contact states use ``StateStartTimestamp`` likewise.
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


def _state(snapshot: dict[str, Any]) -> tuple[str, str | None, str | None, Any]:
    """(state, queue, reason, when the state started) from an agent snapshot."""
    contacts = snapshot.get("Contacts") or []
    queue = None
    for contact in contacts:
        queue = queue or (contact.get("Queue") or {}).get("Name")
    for wanted, state in ((ON_CALL, "on_call"), ({"ENDED"}, "after_call_work")):
        for c in contacts:
            if str(c.get("State", "")).upper() in wanted:
                return state, queue, None, c.get("StateStartTimestamp")
    status = obj(snapshot.get("AgentStatus"), "CurrentAgentSnapshot.AgentStatus")
    name = str(status.get("Name", ""))
    started = status.get("StartTimestamp")
    if status.get("Type") == "OFFLINE" or name.lower() == "offline":
        return "logged_out", queue, None, started
    if name.lower() == "available" or status.get("Type") == "ROUTABLE":
        return "available", queue, None, started
    return classify_reason(name), queue, name, started


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
        when = rec.get("EventTimestamp")
        if kind == "LOGOUT":
            state, queue, reason = "logged_out", None, None
        else:
            state, queue, reason, started = _state(obj(snapshot, "CurrentAgentSnapshot"))
            when = started or when
        out.append(
            event(
                agent,
                state,
                timestamp(when, "EventTimestamp"),
                SOURCE,
                event_id=rec.get("EventId"),
                queue=queue,
                reason=reason,
                vendor_event=kind,
            )
        )
    return out
