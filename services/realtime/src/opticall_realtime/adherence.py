"""Real-time adherence: the agent's state against its scheduled activity, right now.

Mapping (after Calabrio's adherence rules; documented in the README):

| scheduled activity | in adherence when the state is |
|---|---|
| work (and any activity name we do not know) | available, on_call, after_call_work |
| break / lunch / meeting / training | the same state |
| outside every shift | logged_out -> ``unscheduled``; any other state -> ``out`` |
| agent with no shifts at all | ``unscheduled`` whatever the state |

A mismatch only counts as ``out`` after a grace period per activity
(``REALTIME_ADHERENCE_GRACE_SECONDS``), measured from when the mismatch began: the later of
the state's ``since`` and the start of the scheduled segment. Within grace the agent is ``in``.
``evaluate`` also returns when the answer next changes without any event (a segment boundary
or a grace deadline), so the caller can set a timer.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

from opticall_common.events import ChangeOp, ScheduleChange
from opticall_realtime.record import WORKING_STATES, AgentRecord

ACTIVITIES = {a: sys.intern(a) for a in ("work", "break", "lunch", "meeting", "training")}
IN, OUT, UNSCHEDULED = sys.intern("in"), sys.intern("out"), sys.intern("unscheduled")
_new = tuple.__new__  # builds Segment and Verdict without their Python-level __new__ (record.py)


class Shift(NamedTuple):
    id: str
    start: float
    end: float
    activity: str
    occurred_at: float
    activities: tuple[tuple[str, float, float], ...]

    @classmethod
    def decode(cls, raw: Sequence[object]) -> Shift:
        sid, start, end, activity, occurred, acts = raw
        return cls(
            str(sid),
            float(start),  # type: ignore[arg-type]
            float(end),  # type: ignore[arg-type]
            activity_of(str(activity)),
            float(occurred),  # type: ignore[arg-type]
            tuple(
                (activity_of(str(k)), float(s), float(e))
                for k, s, e in acts  # type: ignore[attr-defined]
            ),
        )


Schedule = tuple[Shift, ...]


def activity_of(name: str) -> str:
    return ACTIVITIES.get(name.lower(), ACTIVITIES["work"])


def apply_change(shifts: Schedule, change: ScheduleChange, now: float, keep: float) -> Schedule:
    """The agent's shifts after ``change``; old shifts are dropped, a stale change ignored."""
    snap = change.shift
    occurred = change.occurred_at.timestamp()
    current = {s.id: s for s in shifts if s.end >= now - keep}
    old = current.get(change.shift_id)
    if old is not None and old.occurred_at > occurred:
        return tuple(sorted(current.values(), key=lambda s: s.start))
    if change.op is ChangeOp.deleted:
        current.pop(change.shift_id, None)
    else:
        current[change.shift_id] = Shift(
            change.shift_id,
            snap.start.timestamp(),
            snap.end.timestamp(),
            activity_of(snap.activity),
            occurred,
            tuple(
                sorted(
                    (activity_of(a.kind.value), a.start.timestamp(), a.end.timestamp())
                    for a in snap.activities
                )
            ),
        )
    return tuple(sorted(current.values(), key=lambda s: s.start))


class Segment(NamedTuple):
    activity: str | None  # None: outside every shift
    start: float
    end: float | None  # None: nothing scheduled after


def segment_at(shifts: Schedule, t: float) -> Segment:
    """The scheduled activity at ``t`` and the stretch of time it holds unchanged."""
    for shift in shifts:
        if shift.start <= t < shift.end:
            lo, hi = shift.start, shift.end
            start, end = lo, hi
            # (Conditional expressions, not max/min: this runs for every event of an agent with
            # shifts, and the builtins' calls cost more than the comparisons.)
            for kind, s, e in shift.activities:
                if s <= t < e:
                    return _new(Segment, (kind, s if s > lo else lo, e if e < hi else hi))
                if e <= t:
                    start = e if e > start else start
                elif s > t:
                    end = s if s < end else end
            return _new(Segment, (shift.activity, start, end))
    before = [s.end for s in shifts if s.end <= t]
    after = [s.start for s in shifts if s.start > t]
    return _new(Segment, (None, max(before, default=0.0), min(after, default=None)))


class Segments:
    """Each agent's current segment, found again only once the clock leaves it.

    ``segment_at`` walks the agent's shifts and activities; the fold would do so for every
    event. Its answer only changes when ``t`` crosses a shift or activity boundary (it only
    ever compares ``t`` with them), so it is kept with the stretch between the boundaries
    around ``t`` and with the schedule it came from: a changed schedule is a new tuple, and
    the reference kept here stops its id from being reused.

    ``kept[agent_id]`` is ``(schedule, segment, lo, hi)``: ``segment`` holds for ``schedule``
    while ``lo <= t < hi``. The fold's loop (``batch.py``) tests that itself and calls
    ``find`` only when it fails: calling ``at`` for every event cost ~8% of the fold.
    """

    def __init__(self) -> None:
        self.kept: dict[str, tuple[Schedule, Segment, float, float]] = {}

    def at(self, agent_id: str, shifts: Schedule, t: float) -> Segment:
        kept = self.kept.get(agent_id)
        if kept is not None and kept[0] is shifts and kept[2] <= t < kept[3]:
            return kept[1]
        return self.find(agent_id, shifts, t)

    def find(self, agent_id: str, shifts: Schedule, t: float) -> Segment:
        """``segment_at(shifts, t)``, kept for ``agent_id`` with the stretch it holds for."""
        seg = segment_at(shifts, t)
        lo, hi = -math.inf, math.inf
        for shift in shifts:
            for b in (shift.start, shift.end, *(x for _, s, e in shift.activities for x in (s, e))):
                if b <= t:
                    lo = b if b > lo else lo
                elif b < hi:
                    hi = b
        self.kept[agent_id] = (shifts, seg, lo, hi)
        return seg

    def clear(self) -> None:
        self.kept.clear()


class Verdict(NamedTuple):
    record: AgentRecord  # with adherence, activity and mismatch brought up to date
    at: float  # when the current adherence took effect
    began: float  # when the current (state, scheduled activity) pair began
    due: float | None  # when to evaluate again if nothing else happens


def judge(
    state: str,
    since: float,
    adherence: str,
    mismatch: float | None,
    seg: Segment,
    now: float,
    grace_for: Callable[[str | None], float],
) -> tuple[str, float | None, float, float, float | None]:
    """An agent in ``state`` since ``since``, last judged ``adherence`` with its ``mismatch``
    time, judged in segment ``seg`` at ``now``: ``(adherence, mismatch, at, began, due)``.

    ``at``: when that adherence took effect; ``began``: when the (state, activity) pair began;
    ``due``: when to judge again if nothing else happens. ``evaluate`` and the fold's loop
    (``batch.py``) both judge with it.
    """
    activity, seg_start, seg_end = seg
    # The state the activity expects (the table in this module's docstring).
    if activity is None:
        raw = UNSCHEDULED if state == "logged_out" else OUT
    elif activity == "work":
        raw = IN if state in WORKING_STATES else OUT
    else:
        raw = IN if state == activity else OUT
    began = since if since > seg_start else seg_start
    if raw != OUT:
        return raw, None, began, began, seg_end
    if mismatch is None:
        mismatch = since
    start = mismatch if mismatch > seg_start else seg_start
    deadline = start + grace_for(activity)
    if adherence == OUT or now >= deadline:
        return OUT, start, deadline if deadline < now else now, began, seg_end
    # Within grace: still in, and a timer at the deadline turns it out if nothing changes.
    return IN, start, began, began, deadline if seg_end is None or deadline < seg_end else seg_end


def evaluate(
    rec: AgentRecord,
    shifts: Schedule,
    now: float,
    grace_for: Callable[[str | None], float],
    seg: Segment | None = None,
) -> Verdict:
    """``rec`` judged against ``shifts`` at ``now``; ``seg`` is ``segment_at(shifts, now)``
    when the caller already has it (``Segments``)."""
    if not shifts:
        out = rec.judged(UNSCHEDULED, None, None)
        return _new(Verdict, (out, rec.since, rec.since, None))
    if seg is None:
        seg = segment_at(shifts, now)
    adherence, mismatch, at, began, due = judge(
        rec.state, rec.since, rec.adherence, rec.mismatch, seg, now, grace_for
    )
    return _new(Verdict, (rec.judged(adherence, seg.activity, mismatch), at, began, due))
