"""Helpers every vendor adapter shares: JSON loading, timestamps, reason classification."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson


class AdapterError(ValueError):
    """The payload is not what the vendor sends; answered as 422."""


def load_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise AdapterError(f"body is not valid JSON: {exc}") from exc


def as_list(data: Any) -> list[Any]:
    return data if isinstance(data, list) else [data]


def obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AdapterError(f"{where} must be an object")
    return value


def timestamp(value: Any, where: str = "timestamp") -> str:
    """ISO 8601 with offset, or epoch seconds/milliseconds (numbers or digit strings) -> ISO UTC."""
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Epoch milliseconds are what Webex and most JavaScript-born APIs send.
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise AdapterError(f"{where}: not an ISO 8601 time: {value!r}") from exc
        if parsed.tzinfo is None:
            raise AdapterError(f"{where}: time needs a UTC offset: {value!r}")
        return parsed.astimezone(UTC).isoformat()
    raise AdapterError(f"{where} is missing")


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def classify_reason(name: str | None) -> str:
    """Map a vendor's free-text not-ready / idle / aux reason to a canonical state."""
    text = (name or "").lower()
    for needle, state in (
        ("lunch", "lunch"),
        ("meal", "lunch"),
        ("break", "break"),
        ("meeting", "meeting"),
        ("training", "training"),
        ("coaching", "training"),
    ):
        if needle in text:
            return state
    return "not_ready"


def event(
    agent_id: Any,
    state: str,
    ts: str,
    source: str,
    *,
    event_id: Any = None,
    queue: Any = None,
    reason: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    if not agent_id:
        raise AdapterError("agent id is missing")
    out: dict[str, Any] = {
        "agent_id": str(agent_id),
        "state": state,
        "timestamp": ts,
        "source": source,
        "queue": None if queue in (None, "") else str(queue),
        "reason": None if reason in (None, "") else str(reason),
        **{k: v for k, v in extra.items() if v is not None},
    }
    if event_id:
        out["event_id"] = str(event_id)
    return out
