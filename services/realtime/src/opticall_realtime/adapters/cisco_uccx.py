"""Cisco Finesse / UCCX user state events, as the XMPP ``<Update>`` XML or as JSON.

XML: ``<Update><data><user><loginId/><state/><stateChangeTime/><reasonCode><label/>
</reasonCode><teamName/></user></data><event>PUT</event>...</Update>`` (also a bare ``<User>``
or a ``<Users>`` list). JSON: ``{"user": {...}}``, a bare user object, or a list of them.
States: READY -> available, NOT_READY -> by reason label (break/lunch/...) else not_ready,
TALKING/HOLD/RESERVED -> on_call, WORK/WORK_READY -> after_call_work, LOGOUT -> logged_out,
LOGIN -> not_ready.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

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

SOURCE = "cisco-uccx"
STATES = {
    "READY": "available",
    "TALKING": "on_call",
    "HOLD": "on_call",
    "RESERVED": "on_call",
    "WORK": "after_call_work",
    "WORK_READY": "after_call_work",
    "LOGOUT": "logged_out",
}


def _xml_users(body: bytes) -> list[dict[str, Any]]:
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise AdapterError(f"body is not valid XML: {exc}") from exc
    users = [root] if root.tag.lower() == "user" else root.iter("user")
    out = []
    for user in users:
        out.append(_xml_user(user))
    if not out:
        out.extend(_xml_user(u) for u in root.iter("User"))
    if not out:
        raise AdapterError("no <user> element in the XML")
    return out


def _xml_user(user: Element) -> dict[str, Any]:
    def text(tag: str) -> str | None:
        node = user.find(tag)
        return node.text.strip() if node is not None and node.text else None

    reason = user.find("reasonCode")
    label = reason.findtext("label") if reason is not None else None
    return {
        "loginId": text("loginId"),
        "state": text("state"),
        "stateChangeTime": text("stateChangeTime"),
        "reasonCode": {"label": label, "code": reason.findtext("code")}
        if reason is not None
        else None,
        "reasonCodeId": text("reasonCodeId"),
        "teamName": text("teamName"),
    }


def _one(raw: Any) -> dict[str, Any]:
    user = obj(raw.get("user", raw) if isinstance(raw, dict) else raw, "user")
    agent = user.get("loginId") or user.get("agentId") or user.get("id")
    name = str(user.get("state") or "").upper()
    code = user.get("reasonCode")
    label = code.get("label") if isinstance(code, dict) else code
    if name == "NOT_READY":
        state, reason = classify_reason(label), label or user.get("reasonCodeId")
    elif name == "LOGIN":
        state, reason = "not_ready", "login"
    elif name in STATES:
        state, reason = STATES[name], None
    else:
        raise AdapterError(f"unknown Finesse state {name!r}")
    return event(
        agent,
        state,
        timestamp(user.get("stateChangeTime"), "stateChangeTime"),
        SOURCE,
        queue=user.get("teamName"),
        reason=reason,
    )


def parse(body: bytes, content_type: str, settings: Settings) -> list[dict[str, Any]]:
    if "xml" in content_type or body.lstrip().startswith(b"<"):
        return [_one(u) for u in _xml_users(body)]
    return [_one(item) for item in as_list(load_json(body))]
