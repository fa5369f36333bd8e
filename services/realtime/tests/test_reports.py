"""Adherence and conformance percentages from history segments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opticall_realtime.history import AdherenceSegment
from opticall_realtime.reports import GroupBy, adherence_report, to_csv

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def seg(
    agent: str, minutes: int, adherence: str, state: str, activity: str | None
) -> AdherenceSegment:
    return AdherenceSegment(
        agent_id=agent,
        at=T0 + timedelta(minutes=minutes),
        queue="sales",
        adherence=adherence,
        state=state,
        activity=activity,
    )


def test_adherence_and_conformance_per_agent_queue_and_day() -> None:
    rows = [
        seg("a", 0, "in", "available", "work"),
        seg("a", 30, "out", "not_ready", "work"),
        seg("a", 40, "in", "on_call", "work"),
        seg("b", 0, "unscheduled", "logged_out", None),
    ]
    end = T0 + timedelta(hours=1)
    by_agent = {r["key"]: r for r in adherence_report(rows, T0, end, GroupBy.agent, end)}
    a = by_agent["a"]
    assert a["in_seconds"] == 50 * 60 and a["out_seconds"] == 10 * 60
    assert a["adherence_pct"] == round(100 * 50 / 60, 2)
    assert a["conformance_pct"] == round(100 * 50 / 60, 2)
    assert by_agent["b"]["adherence_pct"] is None
    (queue,) = adherence_report(rows, T0, end, GroupBy.queue, end)
    assert queue["key"] == "sales" and queue["agents"] == 2
    (day,) = adherence_report(rows, T0, end, GroupBy.day, end)
    assert day["key"] == "2026-11-25"
    assert to_csv([a]).splitlines()[0].startswith("key,agents,in_seconds")


def test_opening_row_before_the_period_is_clipped() -> None:
    rows = [seg("a", -60, "out", "break", "work")]
    end = T0 + timedelta(minutes=10)
    (a,) = adherence_report(rows, T0, end, GroupBy.agent, end)
    assert a["out_seconds"] == 600
