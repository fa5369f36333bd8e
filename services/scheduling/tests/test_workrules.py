"""The shared work rules, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opticall_scheduling.workrules import (
    Limits,
    Rule,
    Span,
    check_takes,
    inside,
    serves_queue,
    subtract,
    week_start,
)

T0 = datetime(2030, 6, 3, tzinfo=UTC)  # a Monday
LIMITS = Limits(
    min_rest=timedelta(hours=8),
    max_weekly_hours=40,
    max_shift=timedelta(hours=12),
    lead_time=timedelta(hours=24),
)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def rules(taken: Span, kept: list[Span], **kw: object) -> list[Rule]:
    args: dict[str, object] = {
        "active": True,
        "queues": ["sales"],
        "off": [],
        "limits": LIMITS,
        "now": T0 - timedelta(days=7),
    }
    args.update(kw)
    return [v.rule for v in check_takes("a", taken=taken, kept=kept, **args)]  # type: ignore[arg-type]


def test_predicates_on_minutes_and_datetimes() -> None:
    assert subtract([(0, 100)], [(10, 20), (50, 60)]) == [(0, 10), (20, 50), (60, 100)]
    assert subtract([(0, 10)], [(10, 20)]) == [(0, 10)]  # touching is not overlapping
    assert subtract([(h(0), h(8))], [(h(-1), h(9))]) == []
    assert inside(2, 5, [(0, 10)]) and not inside(2, 11, [(0, 10)]) and inside(2, 11, None)
    assert serves_queue([], "sales") and serves_queue(["x"], None) and not serves_queue(["x"], "y")
    assert week_start(h(24 * 6 + 23)) == T0 and week_start(h(24 * 7)) == h(24 * 7)


def test_a_shift_within_every_rule_breaks_none() -> None:
    taken = Span(h(8), h(16), "sales")
    # Exactly the minimum rest on both sides, 40 h in the week: all allowed.
    kept = [Span(h(-16), h(0)), Span(h(24), h(32)), Span(h(48), h(56)), Span(h(72), h(80))]
    assert rules(taken, kept) == []


def test_each_rule() -> None:
    taken = Span(h(8), h(16), "sales")
    assert rules(taken, [Span(h(15), h(20))]) == [Rule.overlap]
    assert rules(taken, [Span(h(23), h(27))]) == [Rule.min_rest]
    assert rules(taken, [Span(h(24 * d + 8), h(24 * d + 17)) for d in (1, 2, 3, 4)]) == [
        Rule.weekly_hours
    ]
    assert rules(taken, [], queues=["support"]) == [Rule.queue]
    assert rules(taken, [], off=[(h(15), h(30))]) == [Rule.availability]
    assert rules(taken, [], now=h(-10)) == [Rule.lead_time]
    assert rules(Span(h(0), h(13), "sales"), []) == [Rule.max_shift_length]
    assert rules(taken, [], active=False) == [Rule.active]
    # Next week's shifts do not count toward this week's hours.
    assert rules(taken, [Span(h(24 * d + 8), h(24 * d + 20)) for d in (7, 8, 9, 10)]) == []
