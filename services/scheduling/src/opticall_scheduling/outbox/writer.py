"""Writing outbox rows: in the caller's transaction, so they commit or roll back with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from opticall_common import topics
from opticall_common.events import ChangeOp, ScheduleChange, ShiftActivity, ShiftSnapshot
from opticall_scheduling.models import OutboxRecord, Shift

_PENDING = "outbox_pending"
# session.info: {agent_id: [(op, shift id)]}, told at commit by ``outbox.notifications``.
SHIFT_NOTES = "shift_notes"


def snapshot(shift: Shift, owner: str | None = None) -> ShiftSnapshot:
    return ShiftSnapshot(
        id=shift.id,
        agent_id=owner or shift.agent_id,
        start=shift.start_at,
        end=shift.end_at,
        activity=shift.activity,
        queue=shift.queue,
        activities=[ShiftActivity.model_validate(a) for a in shift.activities or []],
    )


def outbox_values(
    op: ChangeOp, shift: Shift, actor: str | None, *, owner: str | None = None
) -> dict[str, Any]:
    """The column values of the outbox row for a ``schedule-changes`` event of ``shift``
    (as owned by ``owner``, by default its agent)."""
    agent_id = owner or shift.agent_id
    change = ScheduleChange(
        op=op, shift_id=shift.id, agent_id=agent_id, shift=snapshot(shift, agent_id)
    )
    return {
        "change_id": change.change_id,
        "topic": topics.SCHEDULE_CHANGES,
        "key": agent_id,
        "payload": change.model_dump_json(),
        "actor": actor,
    }


def record_change(
    session: Session, op: ChangeOp, shift: Shift, actor: str | None, *, owner: str | None = None
) -> None:
    """Add a ``schedule-changes`` event for ``shift`` (as it is now) to the session, and note
    the change for the agent's notification (``outbox.notifications``)."""
    session.add(OutboxRecord(**outbox_values(op, shift, actor, owner=owner)))
    mark_pending(session)
    notes = session.info.setdefault(SHIFT_NOTES, {})
    notes.setdefault(owner or shift.agent_id, []).append((op.value, shift.id))


def record_owner_change(session: Session, shift: Shift, previous: str, actor: str | None) -> None:
    """``shift`` moved from agent ``previous`` to ``shift.agent_id``.

    Two events, each keyed by its agent: ``deleted`` for the previous owner, ``created`` for
    the new one. Consumers partition by agent (realtime keeps each agent's schedule on that
    agent's partition), so a single ``updated`` keyed by the new owner would never reach the
    partition holding the previous owner's copy, which would stay scheduled.
    """
    record_change(session, ChangeOp.deleted, shift, actor, owner=previous)
    record_change(session, ChangeOp.created, shift, actor)


def mark_pending(session: Session) -> None:
    """Note that this transaction wrote outbox rows: its commit wakes the relay."""
    session.info[_PENDING] = True


def wake_on_commit(factory: sessionmaker[Session], wake: Callable[[], None]) -> None:
    """Call ``wake`` after any session of ``factory`` commits outbox rows (any thread).

    Every code path that writes through ``record_change`` — the HTTP routes and schedule
    publication alike — thereby wakes the relay without knowing about it.
    """

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        if session.info.pop(_PENDING, False):
            wake()

    @event.listens_for(factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(_PENDING, None)
