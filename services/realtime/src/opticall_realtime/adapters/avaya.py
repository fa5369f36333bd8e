"""Avaya CMS real-time agent state feed as CSV (the columns a CMS custom report exports).

A header row names the columns (case-insensitive, spaces or underscores):
``login_id`` (or ``agent_id``, ``login id``), ``state`` (or ``workmode``), ``aux_reason``
(or ``reason_code``), ``time`` (or ``timestamp``: ISO 8601 with offset or epoch seconds) and
optionally ``split`` (or ``skill``, ``queue``). States: AVAIL -> available; ACD, ACDIN,
ACDOUT, DACD, RING, HOLD, AUXIN, AUXOUT, OTHER -> on_call; ACW, DACW -> after_call_work;
AUX -> by reason code (``REALTIME_AVAYA_AUX_REASONS``, e.g. 1=break) else not_ready;
LOGOUT, UNSTAFFED -> logged_out.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from opticall_realtime.adapters.base import AdapterError, event, timestamp
from opticall_realtime.config import Settings

SOURCE = "avaya"
STATES = {
    "AVAIL": "available",
    "ACD": "on_call",
    "ACDIN": "on_call",
    "ACDOUT": "on_call",
    "DACD": "on_call",
    "RING": "on_call",
    "HOLD": "on_call",
    "AUXIN": "on_call",
    "AUXOUT": "on_call",
    "OTHER": "on_call",
    "ACW": "after_call_work",
    "DACW": "after_call_work",
    "LOGOUT": "logged_out",
    "UNSTAFFED": "logged_out",
}
COLUMNS = {
    "agent": ("login_id", "loginid", "agent_id", "agent", "login"),
    "state": ("state", "workmode", "work_mode", "agent_state"),
    "reason": ("aux_reason", "reason_code", "reason", "auxreason"),
    "time": ("time", "timestamp", "state_time", "changed_at"),
    "queue": ("split", "skill", "split/skill", "queue"),
}


def _column(header: list[str], name: str) -> str | None:
    for alias in COLUMNS[name]:
        if alias in header:
            return alias
    return None


def parse(body: bytes, content_type: str, settings: Settings) -> list[dict[str, Any]]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AdapterError("CSV must be UTF-8") from exc
    reader = csv.reader(io.StringIO(text))
    rows = [r for r in reader if any(cell.strip() for cell in r)]
    if not rows:
        raise AdapterError("empty CSV")
    header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
    cols = {name: _column(header, name) for name in COLUMNS}
    for required in ("agent", "state", "time"):
        if cols[required] is None:
            raise AdapterError(f"CSV header has no {required} column: {rows[0]}")
    out = []
    for line, row in enumerate(rows[1:], start=2):
        rec = dict(zip(header, (c.strip() for c in row), strict=False))

        def get(name: str, rec: dict[str, str] = rec) -> str | None:
            col = cols[name]
            return rec.get(col) if col else None

        code = get("state") or ""
        reason = get("reason") or None
        if code.upper() == "AUX":
            state = settings.avaya_aux_reasons.get(reason or "", "not_ready")
            reason = f"aux {reason}" if reason else "aux"
        elif code.upper() in STATES:
            state, reason = STATES[code.upper()], None
        else:
            raise AdapterError(f"line {line}: unknown Avaya state {code!r}")
        ts = timestamp(get("time"), f"line {line} time")
        out.append(event(get("agent"), state, ts, SOURCE, queue=get("queue"), reason=reason))
    return out
