"""The one-statement happy path of ``POST /shifts`` on PostgreSQL.

``service.create_shifts`` checks the agent and looks for overlaps before it inserts: three
round trips ahead of the two INSERTs, for answers that are nearly always "fine". On PostgreSQL
the database can give the same guarantees by itself, so a single shift is first tried as one
statement that inserts the shift *only if its agent exists and is active*, and its outbox row
and the agent's notification from the shift it inserted (all or nothing); the exclusion
constraint still refuses an overlap. Anything short of success (no row: unknown or inactive
agent; an exclusion or foreign-key violation) rolls that transaction back and the caller
redoes the request through ``create_shifts``, which produces the precise 422/409 (e.g. the
id of the conflicting shift). Nothing is committed by a failed attempt, so nothing is
published for it.

The path has its own engine, in autocommit mode and without ``pool_pre_ping``: one statement
is atomic by itself (the shift and its outbox row commit together or not at all), so BEGIN,
COMMIT and the ping would be three round trips around the one that does the work. A stale
pooled connection (the database restarted) fails the statement instead; SQLAlchemy then
invalidates the pool. Whether a statement that failed that way committed is looked up by the
shift's id (generated here) on the checked path's pinging engine: stored means done, absent
means the request falls back to the checked path, so the caller sees no error either way.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import JSON, Engine, bindparam, create_engine, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from opticall_common.db import UTCDateTime, normalise_url
from opticall_common.events import ChangeOp
from opticall_common.notifications import NotificationKind
from opticall_scheduling.database import EXCLUSION_VIOLATION, FOREIGN_KEY_VIOLATION, sqlstate
from opticall_scheduling.models import Shift
from opticall_scheduling.outbox.notifications import notification_values, shift_message
from opticall_scheduling.outbox.writer import outbox_values
from opticall_scheduling.shifts import rules, service
from opticall_scheduling.shifts.schemas import ShiftCreate

_INSERT = text(
    """
    WITH s AS (
        INSERT INTO shifts (id, agent_id, start_at, end_at, activity, queue, activities,
                            created_by, updated_by, created_at, updated_at)
        SELECT :id, a.agent_id, :start_at, :end_at, :activity, :queue, CAST(:activities AS json),
               :actor, :actor, :now, :now
        FROM agents a
        WHERE a.agent_id = :agent_id AND a.active
        RETURNING id
    )
    INSERT INTO outbox (change_id, topic, key, payload, actor, created_at)
    SELECT :change_id, :topic, :key, :payload, :actor, :now FROM s
    UNION ALL
    SELECT :note_id, :note_topic, :key, :note_payload, :actor, :now FROM s
    RETURNING id
    """
).bindparams(
    bindparam("start_at", type_=UTCDateTime()),
    bindparam("end_at", type_=UTCDateTime()),
    bindparam("now", type_=UTCDateTime()),
    bindparam("activities", type_=JSON()),
)


SHIFT_IDS = Shift.__table__


class Fallback(Exception):
    """The fast path could not store the shift; redo it through ``create_shifts``."""


def make_fast_engine(url: str, *, pool_size: int) -> Engine | None:
    """The engine of this path, or None where it does not apply (only PostgreSQL has the
    exclusion constraint it relies on for overlaps)."""
    url = normalise_url(url)
    if not url.startswith("postgresql"):
        return None
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=20,
        pool_recycle=1800,
        isolation_level="AUTOCOMMIT",
    )


def create_one(
    engine: Engine,
    checked: sessionmaker[Session],
    item: ShiftCreate,
    actor: str | None,
    *,
    max_length: timedelta,
) -> Shift:
    """Insert ``item`` and its outbox row in one statement, or raise ``Fallback``.

    The returned ``Shift`` is transient (in no session): it carries what was stored. The caller
    wakes the outbox relay once this returns (the row is committed by then).
    """
    if rules.shift_errors(item.start, item.end, item.activities, max_length):
        raise Fallback  # the slow path words the 422
    shift = service.new_shift(item, actor)
    params: dict[str, Any] = {
        "id": shift.id,
        "agent_id": shift.agent_id,
        "start_at": shift.start_at,
        "end_at": shift.end_at,
        "activity": shift.activity,
        "queue": shift.queue,
        "activities": shift.activities,
        "now": shift.created_at,
        **outbox_values(ChangeOp.created, shift, actor),
        **_note(shift, actor),
    }
    with engine.connect() as conn:  # autocommit: the statement is its own transaction
        try:
            stored = conn.execute(_INSERT, params).first()
        except IntegrityError as exc:  # the statement, and with it everything, rolled back
            if sqlstate(exc) in (EXCLUSION_VIOLATION, FOREIGN_KEY_VIOLATION):
                raise Fallback from exc
            raise
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            if _was_stored(checked, shift.id):
                return shift
            raise Fallback from exc
    if stored is None:  # unknown or inactive agent: nothing was inserted
        raise Fallback
    return shift


def _note(shift: Shift, actor: str | None) -> dict[str, Any]:
    """The agent's ``schedule_changed`` notification, as the checked path writes it."""
    values = notification_values(
        shift.agent_id,
        NotificationKind.schedule_changed,
        shift_message([(ChangeOp.created.value, shift.id)]),
        actor,
        shift_ids=[shift.id],
    )
    return {
        "note_id": values["change_id"],
        "note_topic": values["topic"],
        "note_payload": values["payload"],
    }


def _was_stored(checked: sessionmaker[Session], shift_id: str) -> bool:
    with checked() as session:
        return session.scalar(select(SHIFT_IDS.c.id).where(SHIFT_IDS.c.id == shift_id)) is not None
