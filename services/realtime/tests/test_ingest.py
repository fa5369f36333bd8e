"""POST /events validation: a list is all-or-nothing, and the problem names each bad index."""

from __future__ import annotations

import pytest

from opticall_common.problems import Problem
from opticall_realtime.ingest import EVENT_BODY, validate_events

GOOD = {"agent_id": "a-1", "state": "available", "timestamp": "2026-11-25T14:00:00+01:00"}


def test_valid_list_is_accepted_and_times_become_utc() -> None:
    (ev,) = validate_events([GOOD], limit=10)
    assert ev.timestamp.isoformat() == "2026-11-25T13:00:00+00:00" and ev.event_id


def test_one_bad_item_refuses_the_whole_list_naming_its_index() -> None:
    with pytest.raises(Problem) as err:
        validate_events(
            [
                GOOD,
                {**GOOD, "state": "dancing"},
                {**GOOD, "timestamp": "2026-11-25T14:00:00"},
                {**GOOD, "timestamp": "0001-01-01T00:00:00+01:00"},  # no UTC value
            ],
            10,
        )
    assert err.value.status == 422
    assert [e["index"] for e in err.value.extra["errors"]] == [1, 2, 3]
    assert "index 1, 2, 3" in err.value.detail


def test_limits_and_openapi_body() -> None:
    with pytest.raises(Problem) as err:
        validate_events([GOOD] * 3, limit=2)
    assert err.value.status == 413
    with pytest.raises(Problem):
        validate_events([], limit=2)
    schema = EVENT_BODY["requestBody"]["content"]["application/json"]["schema"]
    assert "$ref" not in str(schema) and schema["oneOf"][1]["type"] == "array"
