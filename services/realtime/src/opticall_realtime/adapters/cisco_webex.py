"""Webex Contact Center agent state events.

Two shapes are accepted: the webhook envelope (``{"type": "agent:state_change", "id",
"data": {"agentId", "currentState", "idleCodeName", "createdTime"...}}``, also
``agent:login`` / ``agent:logout``) and the Agent Desktop message
(``{"data": {"type": "AgentStateChangeSuccess", "agentId", "status", "subStatus":
"Available" | "Idle", "auxCodeId", "lastStateChangeTimestamp"}}``).
``Idle`` carries an idle code; its name (when given) picks break/lunch/meeting/training.
"""

from __future__ import annotations

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

SOURCE = "cisco-webex"
STATES = {
    "available": "available",
    "engaged": "on_call",
    "connected": "on_call",
    "ringing": "on_call",
    "hold": "on_call",
    "wrapup": "after_call_work",
    "wrap_up": "after_call_work",
    "wrapping up": "after_call_work",
    "rona": "not_ready",
    "loggedout": "logged_out",
    "logged_out": "logged_out",
    "logout": "logged_out",
}


def _one(raw: Any) -> dict[str, Any]:
    env = obj(raw, "event")
    data = obj(env.get("data", env), "data")
    kind = str(env.get("type") or data.get("type") or "")
    agent = data.get("agentId")
    sub = str(data.get("currentState") or data.get("subStatus") or "").lower()
    status = str(data.get("status") or "").lower()
    reason = (
        data.get("idleCodeName") or data.get("auxCodeName") or data.get("lastStateChangeReason")
    )
    if kind in {"agent:logout", "AgentLogoutSuccess"} or status in {"loggedout", "logged_out"}:
        state = "logged_out"
    elif sub == "idle":
        state = classify_reason(reason)
        reason = reason or data.get("idleCodeId") or data.get("auxCodeId")
    elif sub in STATES:
        state = STATES[sub]
    elif kind == "agent:login":
        state, reason = "not_ready", reason or "login"
    else:
        raise AdapterError(f"unknown agent state {sub or kind!r}")
    when = (
        data.get("createdTime")
        or env.get("createdTime")
        or data.get("lastStateChangeTimestamp")
        or data.get("lastIdleCodeChangeTimestamp")
    )
    return event(
        agent,
        state,
        timestamp(when, "createdTime"),
        SOURCE,
        event_id=env.get("id") or data.get("trackingId") or env.get("trackingId"),
        queue=data.get("queueName"),
        reason=reason if state != "available" else None,
    )


def parse(body: bytes, content_type: str, settings: Settings) -> list[dict[str, Any]]:
    return [_one(item) for item in as_list(load_json(body))]
