"""Adherence against the schedule: mapping, grace, and when to wake up next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opticall_common.events import ChangeOp, ScheduleChange, ShiftActivity, ShiftSnapshot
from opticall_realtime.adherence import Schedule, apply_change, evaluate, segment_at
from opticall_realtime.record import AgentRecord

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
H = 3600.0


def grace(activity: str | None) -> float:
    return 60.0


def schedule() -> Schedule:
    snap = ShiftSnapshot(
        id="s1",
        agent_id="a",
        start=T0,
        end=T0 + timedelta(hours=8),
        activities=[
            ShiftActivity(
                kind="break", start=T0 + timedelta(hours=2), end=T0 + timedelta(hours=2, minutes=15)
            )
        ],
    )
    change = ScheduleChange(op=ChangeOp.created, shift_id="s1", agent_id="a", shift=snap)
    return apply_change((), change, T0.timestamp(), 24 * H)


def rec(state: str, since: float) -> AgentRecord:
    return AgentRecord(state, since, since, "e", None, None, "unscheduled", None, None, 1)


def test_segments_split_the_shift_at_activities() -> None:
    t = T0.timestamp()
    shifts = schedule()
    assert segment_at(shifts, t + 1 * H) == (("work", t, t + 2 * H))
    assert segment_at(shifts, t + 2.1 * H).activity == "break"
    assert segment_at(shifts, t + 3 * H) == ("work", t + 2.25 * H, t + 8 * H)
    assert segment_at(shifts, t - 1).activity is None
    assert segment_at(shifts, t - 1).end == t


def test_on_call_during_a_break_is_out_after_grace() -> None:
    t = T0.timestamp()
    shifts = schedule()
    on_call = rec("on_call", t + 1 * H)
    at_break = evaluate(on_call, shifts, t + 2 * H + 10, grace)
    assert at_break.record.adherence == "in" and at_break.due == t + 2 * H + 60
    later = evaluate(at_break.record, shifts, t + 2 * H + 61, grace)
    assert later.record.adherence == "out" and later.at == t + 2 * H + 60
    on_break = evaluate(
        rec("break", t + 2 * H + 90)._replace(adherence="out"), shifts, t + 2 * H + 95, grace
    )
    assert on_break.record.adherence == "in"


def test_shift_start_while_logged_out() -> None:
    t = T0.timestamp()
    shifts = schedule()
    before = evaluate(rec("logged_out", t - H), shifts, t - 5, grace)
    assert before.record.adherence == "unscheduled" and before.due == t
    after = evaluate(before.record, shifts, t + 61, grace)
    assert after.record.adherence == "out" and after.record.activity == "work"


def test_no_schedule_is_unscheduled_and_work_outside_shift_is_out() -> None:
    t = T0.timestamp()
    assert evaluate(rec("on_call", t), (), t, grace).record.adherence == "unscheduled"
    outside = evaluate(rec("available", t - 2 * H), schedule(), t - H, grace)
    assert outside.record.adherence == "out" and outside.record.activity is None


def test_deleted_shift_and_stale_update() -> None:
    shifts = schedule()
    snap = shifts[0]
    stale = ScheduleChange(
        op=ChangeOp.updated,
        shift_id="s1",
        agent_id="a",
        occurred_at=T0 - timedelta(days=1),
        shift=ShiftSnapshot(id="s1", agent_id="a", start=T0, end=T0 + timedelta(hours=1)),
    )
    assert apply_change(shifts, stale, T0.timestamp(), 24 * H)[0].end == snap.end
    gone = ScheduleChange(
        op=ChangeOp.deleted,
        shift_id="s1",
        agent_id="a",
        shift=ShiftSnapshot(id="s1", agent_id="a", start=T0, end=T0 + timedelta(hours=1)),
    )
    assert apply_change(shifts, gone, T0.timestamp(), 24 * H) == ()


def test_segments_kept_between_boundaries_answer_as_segment_at() -> None:
    # Random schedules, overlapping activities included, asked at random times in any order,
    # and replaced now and then: the kept segment must always be segment_at's.
    import random

    from opticall_realtime.adherence import Segments, Shift

    rng = random.Random(11)
    kinds = ["work", "break", "lunch", "meeting"]
    segments = Segments()

    def random_schedule() -> Schedule:
        shifts = []
        for k in range(rng.randint(1, 3)):
            start = rng.uniform(0, 100)
            end = start + rng.uniform(1, 50)
            acts = []
            for _ in range(rng.randint(0, 3)):
                s = rng.uniform(start - 5, end)
                acts.append((rng.choice(kinds), s, s + rng.uniform(0.5, 20)))
            shifts.append(Shift(f"s{k}", start, end, "work", 0.0, tuple(sorted(acts))))
        return tuple(sorted(shifts, key=lambda s: s.start))

    schedules = {a: random_schedule() for a in "abc"}
    for _ in range(20_000):
        agent = rng.choice("abc")
        if rng.random() < 0.01:
            schedules[agent] = random_schedule()
        edges = [x for sh in schedules[agent] for x in (sh.start, sh.end)]
        edges += [x for sh in schedules[agent] for _, s, e in sh.activities for x in (s, e)]
        t = rng.choice([rng.uniform(-10, 160), rng.choice(edges)])  # on a boundary, often
        assert segments.at(agent, schedules[agent], t) == segment_at(schedules[agent], t)
