"""Pure shift rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opticall_scheduling.shifts.rules import batch_overlaps, overlaps


def t(hour: int) -> datetime:
    return datetime(2026, 3, 2, hour, tzinfo=UTC)


def test_half_open_intervals() -> None:
    assert overlaps(t(8), t(12), t(11), t(13))
    assert not overlaps(t(8), t(12), t(12), t(13))


def test_batch_overlaps_finds_pairs_per_agent_only() -> None:
    items = [("a", t(8), t(16)), ("b", t(9), t(10)), ("a", t(10), t(11)), ("a", t(16), t(17))]
    assert batch_overlaps(items) == [(0, 2)]
    nested = [("a", t(1), t(20)), ("a", t(2), t(3)), ("a", t(4), t(5))]
    assert batch_overlaps(nested) == [(0, 1), (0, 2)]
    assert batch_overlaps([("a", t(1), t(1) + timedelta(minutes=1))]) == []
