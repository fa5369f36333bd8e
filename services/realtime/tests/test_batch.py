"""The fold's loop gives, batch after batch, what folding and judging each event alone gives."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from opticall_common.events import AgentEvent, AgentEventCore
from opticall_realtime import batch as batch_module
from opticall_realtime.adherence import Schedule, Segments, Shift, evaluate, segment_at
from opticall_realtime.batch import fold_records
from opticall_realtime.config import DEFAULT_GRACE
from opticall_realtime.record import AgentRecord, fold_event

NOW = 1_800_000_000.0
STATES = ["available", "on_call", "after_call_work", "break", "lunch", "not_ready", "logged_out"]
KINDS = ["break", "lunch", "meeting", "training", "work"]


def grace_for(activity: str | None) -> float:
    return DEFAULT_GRACE.get(activity or "unscheduled", 60.0)


def random_schedule(rng: random.Random) -> Schedule:
    shifts = []
    start = NOW - rng.uniform(0, 4 * 3600) - 3600 * rng.choice([0, 0, 9])
    for n in range(rng.choice([1, 1, 2])):
        end = start + rng.uniform(1800, 8 * 3600)
        acts = []
        for _ in range(rng.choice([0, 1, 3])):
            s = rng.uniform(start, end)
            acts.append((rng.choice(KINDS), s, min(end, s + rng.uniform(60, 3600))))
        shifts.append(Shift(f"s{n}", start, end, "work", NOW - 99, tuple(sorted(acts))))
        start = end + rng.uniform(0, 3600)
    return tuple(shifts)


def record(offset: int, value: bytes | None) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="agent-events",
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=None,
        value=value,  # type: ignore[arg-type]
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=(),
    )


def random_batch(rng: random.Random, start: int, sent: list[bytes]) -> list[Any]:
    batch = []
    for offset in range(start, start + rng.randint(1, 40)):
        roll = rng.random()
        if roll < 0.05:
            value: bytes | None = rng.choice([b"{not json", b'{"agent_id": "a1"}', None])
        elif roll < 0.15 and sent:
            value = rng.choice(sent)  # a duplicate, or an event now older than the agent's
        elif roll < 0.25:
            # As an ACD may send it: no id (derived from the content by the model), padded
            # strings, an offset or epoch timestamp, an extra field.
            at = NOW - 600 + offset
            raw: dict[str, Any] = {
                "agent_id": f" a{rng.randrange(8)} ",
                "state": rng.choice(STATES),
                "timestamp": rng.choice(
                    [at, datetime.fromtimestamp(at, timezone(timedelta(hours=2))).isoformat()]
                ),
                "queue": rng.choice([" sales", None]),
                "skill": "billing",
            }
            if rng.random() < 0.5:
                raw["event_id"] = f" e{offset} "
            value = json.dumps(raw).encode()
            sent.append(value)
        else:
            value = (
                AgentEvent(
                    event_id=f"e{offset}",
                    agent_id=f"a{rng.randrange(8)}",
                    state=rng.choice(STATES),
                    # Mostly newer than everything before, sometimes late, sometimes ahead of now.
                    timestamp=NOW - 600 + offset + rng.choice([0, 0, 0, -300, 900]),
                    queue=rng.choice(["sales", "support", None]),
                    reason=rng.choice([None, "coaching"]),
                )
                .model_dump_json()
                .encode()
            )
            sent.append(value)
        batch.append(record(offset, value))
    return batch


class Calls(list[tuple[Any, ...]]):
    """What a callback was called with, call after call."""

    def append_args(self, *args: Any) -> None:
        self.append(args)

    def append_offset(self, rec: ConsumerRecord[bytes, bytes], error: str) -> None:
        self.append((rec.offset,))


class Reference:
    """``fold_event`` then ``evaluate``, one event at a time, as ``Engine`` does outside the loop."""

    def __init__(self, schedules: dict[str, Schedule]) -> None:
        self.schedules = schedules
        self.table: dict[str, AgentRecord] = {}
        self.due: dict[str, float] = {}
        self.changes: list[tuple[Any, ...]] = []

    def fold(self, batch: list[Any], now: float) -> tuple[dict[str, AgentRecord], list[int]]:
        latest: dict[str, AgentRecord] = {}
        offsets = []
        for rec in batch:
            try:
                ev = AgentEvent.model_validate_json(rec.value)
            except ValueError:
                continue
            old = latest.get(ev.agent_id) or self.table.get(ev.agent_id)
            offsets.append(rec.offset)
            new = fold_event(old, ev)
            if new is None:
                continue
            shifts = self.schedules.get(ev.agent_id, ())
            seg = segment_at(shifts, now) if shifts else None
            judged, at, began, due = evaluate(new, shifts, now, grace_for, seg)
            if due is not None:
                self.due[ev.agent_id] = due
            self.changes.append((ev.agent_id, old, judged, min(at, now), min(began, now)))
            latest[ev.agent_id] = judged
        self.table.update(latest)
        return latest, offsets


@pytest.mark.parametrize("chunk", [256, 5])
def test_fold_records_matches_folding_and_judging_each_event(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch_module, "CHUNK", chunk)  # several chunks a batch too
    for seed in range(30):
        rng = random.Random(seed)
        schedules = {f"a{i}": random_schedule(rng) for i in range(8) if rng.random() < 0.6}
        reference = Reference(schedules)
        table: dict[str, AgentRecord] = {}
        due: dict[str, float] = {}
        changes = Calls()
        rejected = Calls()
        segments = Segments()
        sent: list[bytes] = []
        offset = 0
        for step in range(12):
            now = NOW + step * rng.uniform(0, 900)
            if rng.random() < 0.4:
                # A schedule change: a new tuple, whose segments must not be the old one's.
                agent = f"a{rng.randrange(8)}"
                schedules[agent] = random_schedule(rng)
            batch = random_batch(rng, offset, sent)
            offset += len(batch)
            before = len(changes)
            out = fold_records(
                batch,
                table,
                schedules,
                segments,
                grace_for,
                due.__setitem__,
                changes.append_args,
                rejected.append_offset,
                now,
            )
            table.update(out.latest)
            latest, offsets = reference.fold(batch, now)
            assert out.latest == latest
            assert out.offsets == offsets
            assert out.folded == len(changes) - before
            # Every record is either acked or handed over to be dead-lettered, never both.
            assert sorted(offsets + [o for (o,) in rejected if o >= batch[0].offset]) == [
                r.offset for r in batch
            ]
            assert changes == reference.changes
            assert due == reference.due
            assert table == reference.table


def fold_alone(
    batch: list[Any], changed: Any = lambda *change: None
) -> tuple[Any, list[tuple[int, str]]]:
    """``fold_records`` over an empty table with no schedules; also what it dead-lettered."""
    rejected: list[tuple[int, str]] = []
    out = fold_records(
        batch,
        {},
        {},
        Segments(),
        grace_for,
        lambda agent, due: None,
        changed,
        lambda rec, error: rejected.append((rec.offset, error)),
        NOW,
    )
    return out, rejected


def test_a_batch_counts_folds_and_rejects_bad_records_without_acking_them() -> None:
    good = AgentEvent(event_id="x", agent_id="a", state="on_call", timestamp=NOW - 5)
    batch = [
        record(0, good.model_dump_json().encode()),
        record(1, b"{broken"),
        record(2, good.model_dump_json().encode()),  # a duplicate: acked, not folded
        # No UTC value: its OverflowError once escaped the loop and stopped the consumer.
        record(
            3,
            b'{"event_id": "y", "agent_id": "a", "state": "on_call",'
            b' "timestamp": "0001-01-01T00:00:00+01:00"}',
        ),
    ]
    out, rejected = fold_alone(batch)
    assert out.folded == 1 and out.offsets == [0, 2]
    assert [offset for offset, _ in rejected] == [1, 3]
    assert out.latest["a"].state == "on_call" and out.latest["a"].adherence == "unscheduled"


def test_a_failing_fold_dead_letters_the_record_and_goes_on() -> None:
    events = [
        AgentEvent(event_id=f"e{i}", agent_id=f"a{i}", state="available", timestamp=NOW)
        for i in range(3)
    ]
    batch = [record(i, ev.model_dump_json().encode()) for i, ev in enumerate(events)]

    def changed(agent_id: str, *_: Any) -> None:
        if agent_id == "a1":
            raise RuntimeError("history queue broke")

    out, rejected = fold_alone(batch, changed)
    assert out.offsets == [0, 2] and sorted(out.latest) == ["a0", "a2"]
    assert rejected == [(1, "fold failed: RuntimeError('history queue broke')")]


def test_a_decoder_failing_otherwise_than_invalid_dead_letters_and_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An OverflowError once escaped the event model's validation (a261cf4) and the loop.
    decode = batch_module.decode

    def failing(raw: bytes | None) -> AgentEventCore:
        if raw == b"boom":
            raise OverflowError("date value out of range")
        return decode(raw)

    monkeypatch.setattr(batch_module, "decode", failing)
    good = AgentEvent(event_id="x", agent_id="a", state="on_call", timestamp=NOW - 5)
    out, rejected = fold_alone([record(0, b"boom"), record(1, good.model_dump_json().encode())])
    assert rejected == [(0, "decode failed: OverflowError('date value out of range')")]
    assert out.offsets == [1] and out.latest["a"].state == "on_call"
