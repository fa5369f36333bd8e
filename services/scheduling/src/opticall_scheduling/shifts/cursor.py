"""Opaque keyset cursors for ``GET /shifts``: the (start, id) of the last item of a page.

Keyset, not offset: a page costs the same at row 100,000 as at row 0, and rows inserted
meanwhile never shift the pages a client is walking.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from opticall_common.problems import Problem


def encode_cursor(start: datetime, shift_id: str) -> str:
    raw = f"{start.astimezone(UTC).isoformat()}|{shift_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        start, shift_id = raw.split("|", 1)
        parsed = datetime.fromisoformat(start)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise Problem(422, "invalid cursor: pass next_cursor from a previous page") from exc
    if parsed.tzinfo is None or not shift_id:
        raise Problem(422, "invalid cursor: pass next_cursor from a previous page")
    return parsed.astimezone(UTC), shift_id
