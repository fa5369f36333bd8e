"""The per-agent state record, and the pure fold of agent events into it.

One ``AgentRecord`` per agent is kept in the Faust table, in the full view and on the
``agent-state`` topic (as a JSON array in field order). It is a NamedTuple, so it costs one
tuple (about 150 bytes) plus its strings, and state/adherence strings are shared constants:
100,000 agents fit in well under 100 MB.

Ordering rule: an event wins when its ``(timestamp, event_id)`` is greater than the record's.
A duplicate therefore compares equal and changes nothing, a late event compares lower and
changes nothing, and two events with the same timestamp resolve the same way whatever order
they arrive in. No window of recent ids is needed.

``since`` is the timestamp of the newest event, i.e. when the reported state began. Keeping
the older ``since`` for an event that repeats the current state would make the result depend
on arrival order (the events in between may still be on their way), so a heartbeat should be
stamped with the state's start time (the Amazon Connect adapter does so) or not sent.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any, NamedTuple

from opticall_common.events import AgentEvent, AgentState

# Canonical, interned strings so every record shares them instead of holding copies.
STATES: dict[str, str] = {s.value: sys.intern(s.value) for s in AgentState}
ADHERENCE_VALUES = ("in", "out", "unscheduled")
_ADHERENCE: dict[str, str] = {a: sys.intern(a) for a in ADHERENCE_VALUES}
WORKING_STATES = frozenset({"available", "on_call", "after_call_work"})


def canonical(value: str | None, table: dict[str, str]) -> str | None:
    return None if value is None else table.get(value, value)


def shared(value: str | None) -> str | None:
    """Queues and reasons repeat across agents: one interned copy each, not one per record."""
    return None if value is None else sys.intern(value)


# ``_new`` (``tuple.__new__``) builds a record from its fields in order, without the
# NamedTuple's Python-level ``__new__``: on the fold's hot path that call cost more than the
# tuple itself (and ``_replace`` several times more).
_new = tuple.__new__


class AgentRecord(NamedTuple):
    state: str
    since: float  # epoch seconds the current state began
    ts: float  # newest event timestamp folded
    event_id: str  # id of that event
    queue: str | None
    reason: str | None
    adherence: str
    activity: str | None  # scheduled activity now, None outside any shift
    mismatch: float | None  # when the state stopped matching the schedule (grace runs from it)
    seq: int  # bumped on every write: lets the view drop stale changelog records

    @classmethod
    def decode(cls, raw: Any) -> AgentRecord:
        """From the JSON array on the changelog (strict about arity, lenient about tuple/list)."""
        if isinstance(raw, AgentRecord):
            return raw
        if not isinstance(raw, list | tuple) or len(raw) != len(cls._fields):
            raise ValueError(f"not an agent record: {raw!r}"[:200])
        state, since, ts, event_id, queue, reason, adherence, activity, mismatch, seq = raw
        return cls(
            STATES.get(state, str(state)),
            float(since),
            float(ts),
            str(event_id),
            shared(queue),
            shared(reason),
            _ADHERENCE.get(adherence, str(adherence)),
            activity,
            None if mismatch is None else float(mismatch),
            int(seq),
        )

    def judged(self, adherence: str, activity: str | None, mismatch: float | None) -> AgentRecord:
        """This record with its adherence fields set (itself when they are unchanged)."""
        if adherence == self.adherence and activity == self.activity and mismatch == self.mismatch:
            return self
        state, since, ts, event_id, queue, reason, _, _, _, seq = self
        return _new(
            AgentRecord,
            (state, since, ts, event_id, queue, reason, adherence, activity, mismatch, seq),
        )

    def to_api(self, agent_id: str) -> dict[str, Any]:
        return {
            "agent_id": agent_id,
            "state": self.state,
            "since": iso(self.since),
            "queue": self.queue,
            "reason": self.reason,
            "adherence": self.adherence,
            "scheduled_activity": self.activity,
            "last_event_id": self.event_id,
            "updated_at": iso(self.ts),
        }


_UNSCHEDULED = _ADHERENCE["unscheduled"]
intern = sys.intern


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def fold_event(rec: AgentRecord | None, event: AgentEvent) -> AgentRecord | None:
    """The record after ``event``, or ``None`` when the event changes nothing.

    Adherence fields are carried over untouched for the caller to re-evaluate. (The
    consumer's loop, ``batch.py``, folds and judges in one step; this serves single events.)
    """
    ts = event.timestamp.timestamp()
    state = STATES[event.state]  # a StrEnum member hashes as its value
    queue, reason = event.queue, event.reason
    if reason is not None:
        reason = intern(reason)
    if rec is None:
        queue = None if queue is None else intern(queue)
        return _new(
            AgentRecord, (state, ts, ts, event.event_id, queue, reason, _UNSCHEDULED, None, None, 1)
        )
    if (ts, event.event_id) <= (rec.ts, rec.event_id):  # not newer: see the ordering rule
        return None
    # ACDs often omit the queue on non-call events; the agent stays in its last known queue.
    queue = rec.queue if queue is None else intern(queue)
    return _new(
        AgentRecord,
        (state, ts, ts, event.event_id, queue, reason, rec.adherence, rec.activity, rec.mismatch,
         rec.seq + 1),
    )  # fmt: skip
