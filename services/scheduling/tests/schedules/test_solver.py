"""Schedule generation on small instances: coverage, breaks, hours, availability, queues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opticall_common.problems import Problem
from opticall_scheduling.schedules.generate import generate
from opticall_scheduling.schedules.schemas import GenerateRequest

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def at(hours: float, day: int = 0) -> str:
    return (T0 + timedelta(days=day, hours=hours)).isoformat()


EIGHT_HOURS = {
    "name": "8h",
    "length_minutes": 480,
    "start_granularity_minutes": 60,
    "breaks": [
        {"kind": "break", "length_minutes": 15, "earliest_start_minutes": 90,
         "latest_start_minutes": 180},
        {"kind": "lunch", "length_minutes": 30, "earliest_start_minutes": 210,
         "latest_start_minutes": 300},
    ],
}  # fmt: skip


def request(required: dict[int, float], days: int = 1, **extra: Any) -> GenerateRequest:
    """Hourly-ish requirement in 30-minute intervals 08:00-20:00 each day."""
    rows = []
    for d in range(days):
        for i in range(16, 40):
            rows.append({"start": at(i / 2, d), "required": required.get(i, 0.0)})
    body: dict[str, Any] = {
        "interval_minutes": 30,
        "requirement": rows,
        "agents": [{"agent_id": f"a{i}"} for i in range(4)],
        "shift_templates": [EIGHT_HOURS],
        "time_limit_seconds": 3,
        **extra,
    }
    return GenerateRequest.model_validate(body)


def test_covers_a_flat_requirement_exactly() -> None:
    # Two agents needed 08:00-16:00, two available; their breaks cost 45 minutes each.
    req = request({i: 2.0 for i in range(16, 32)})
    req.agents = req.agents[:2]
    draft = generate(req)
    assert draft.solver.status in ("OPTIMAL", "FEASIBLE")
    assert len(draft.shifts) == 2
    assert all(s.start == T0 + timedelta(hours=8) for s in draft.shifts)
    assert draft.under == pytest.approx(2 * 45)
    assert draft.over == 0
    assert draft.solver.best_bound <= draft.solver.objective


def test_breaks_lie_inside_their_windows() -> None:
    draft = generate(request({i: 3.0 for i in range(16, 40)}))
    assert draft.shifts
    for s in draft.shifts:
        kinds = [a.kind for a in s.activities]
        assert kinds == ["break", "lunch"]
        brk, lunch = s.activities
        assert s.start + timedelta(minutes=90) <= brk.start <= s.start + timedelta(minutes=180)
        assert brk.end - brk.start == timedelta(minutes=15)
        assert s.start + timedelta(minutes=210) <= lunch.start
        assert lunch.end <= s.end


def test_staggers_breaks_to_keep_coverage() -> None:
    # Three agents on 08:00-16:00, need 2 all day: breaks must not all fall at once.
    req = request({i: 2.0 for i in range(16, 32)})
    req.agents = req.agents[:3]
    draft = generate(req)
    below = [c for c in draft.coverage if c.required and c.scheduled < c.required]
    assert not below, below


def test_coverage_improves_on_doing_nothing() -> None:
    need = {i: (1.0 if i < 24 else 3.0) for i in range(16, 40)}
    draft = generate(request(need))
    nothing = sum(need.values()) * 30
    assert draft.under < nothing / 2
    rows = {c.start: c for c in draft.coverage}
    peak = rows[T0 + timedelta(hours=15)]
    assert peak.scheduled >= 2  # more agents at the peak than in the morning
    assert peak.gap == pytest.approx(peak.scheduled - peak.required)


def test_weekly_hours_respected() -> None:
    need = {i: 4.0 for i in range(16, 40)}
    agents = [
        {"agent_id": "short", "max_weekly_hours": 16},
        {"agent_id": "long", "max_weekly_hours": 40, "min_weekly_hours": 24},
    ]
    draft = generate(request(need, days=5, agents=agents))
    paid: dict[str, float] = {"short": 0.0, "long": 0.0}
    for s in draft.shifts:
        lunch = sum((a.end - a.start).total_seconds() for a in s.activities if a.kind == "lunch")
        paid[s.agent_id] += ((s.end - s.start).total_seconds() - lunch) / 3600
    assert paid["short"] <= 16
    assert 24 <= paid["long"] <= 40
    per_day = [(s.agent_id, s.start.date()) for s in draft.shifts]
    assert len(per_day) == len(set(per_day))  # one shift per agent and day


def test_availability_and_operating_hours() -> None:
    need = {i: 2.0 for i in range(16, 40)}
    agents = [{"agent_id": "late", "availability": [{"start": at(11), "end": at(21)}]}]
    draft = generate(
        request(need, agents=agents, operating_hours=[{"start": at(8), "end": at(20)}])
    )
    [shift] = draft.shifts
    assert shift.start >= T0 + timedelta(hours=11) and shift.end <= T0 + timedelta(hours=20)
    # 08:00-11:00 nobody can be there: reported as uncoverable, not refused.
    assert {u.start for u in draft.uncoverable} >= {T0 + timedelta(hours=8)}


def test_queues_only_go_to_skilled_agents() -> None:
    rows = [
        {"start": at(8 + i / 2), "required": 1.0, "queue": q}
        for i in range(16)
        for q in ("sales", "billing")
    ]
    req = GenerateRequest.model_validate(
        {
            "requirement": rows,
            "agents": [
                {"agent_id": "s", "queues": ["sales"]},
                {"agent_id": "b", "queues": ["billing"]},
            ],
            "shift_templates": [{**EIGHT_HOURS, "breaks": []}],
            "time_limit_seconds": 3,
        }
    )
    draft = generate(req)
    assert {(s.agent_id, s.queue) for s in draft.shifts} == {("s", "sales"), ("b", "billing")}
    assert draft.under == 0


def test_unreachable_minimum_hours_is_422() -> None:
    agents = [{"agent_id": "a", "min_weekly_hours": 30}]  # one day: at most 8 h
    with pytest.raises(Problem) as err:
        generate(request({16: 1.0}, days=7, agents=agents,
                         operating_hours=[{"start": at(8), "end": at(20)}]))  # fmt: skip
    assert err.value.status == 422
