"""The fold: newest (timestamp, event_id) wins, duplicates and late events change nothing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import orjson

from opticall_common.events import AgentEvent
from opticall_realtime.record import AgentRecord, fold_event

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
STATES = ["available", "on_call", "after_call_work", "break", "lunch", "not_ready"]


def stream(agents: int, per_agent: int, seed: int) -> list[AgentEvent]:
    rng = random.Random(seed)
    out = []
    for a in range(agents):
        previous = None
        for i in range(per_agent):
            state = rng.choice([s for s in STATES if s != previous])
            previous = state
            out.append(
                AgentEvent(
                    event_id=f"e{a}-{i}",
                    agent_id=f"a{a}",
                    state=state,
                    timestamp=T0 + timedelta(seconds=i * 10 + rng.random()),
                    queue=rng.choice(["sales", "support"]),
                )
            )
    return out


def fold_all(events: list[AgentEvent]) -> dict[str, AgentRecord]:
    table: dict[str, AgentRecord] = {}
    for ev in events:
        new = fold_event(table.get(ev.agent_id), ev)
        if new is not None:
            table[ev.agent_id] = new
    return table


def visible(table: dict[str, AgentRecord]) -> dict[str, tuple[object, ...]]:
    return {k: (r.state, r.since, r.ts, r.event_id, r.queue, r.reason) for k, r in table.items()}


def test_shuffled_duplicated_stream_folds_to_the_ordered_result() -> None:
    events = stream(agents=20, per_agent=30, seed=1)
    expected = visible(fold_all(sorted(events, key=lambda e: e.timestamp)))
    for seed in range(5):
        messy = events + random.Random(seed).sample(events, len(events) // 3)
        random.Random(seed + 100).shuffle(messy)
        assert visible(fold_all(messy)) == expected


def test_duplicate_changes_nothing_and_late_event_is_ignored() -> None:
    first = AgentEvent(event_id="x", agent_id="a", state="on_call", timestamp=T0)
    rec = fold_event(None, first)
    assert rec is not None and rec.state == "on_call" and rec.seq == 1
    assert fold_event(rec, first) is None
    late = AgentEvent(event_id="y", agent_id="a", state="break", timestamp=T0 - timedelta(1))
    assert fold_event(rec, late) is None


def test_missing_queue_keeps_the_last_one() -> None:
    rec = fold_event(None, AgentEvent(agent_id="a", state="available", timestamp=T0, queue="q"))
    assert rec is not None
    nxt = AgentEvent(agent_id="a", state="on_call", timestamp=T0 + timedelta(minutes=2))
    after = fold_event(rec, nxt)
    assert after is not None
    assert after.since == nxt.timestamp.timestamp() and after.queue == "q" and after.seq == 2


def test_record_round_trips_through_the_changelog_json() -> None:
    rec = fold_event(None, AgentEvent(agent_id="a", state="lunch", timestamp=T0, reason="r"))
    assert rec is not None
    assert AgentRecord.decode(orjson.loads(orjson.dumps(list(rec)))) == rec
    api = rec.to_api("a")
    assert api["since"] == "2026-11-25T09:00:00Z" and api["state"] == "lunch"
