"""``agent-notifications`` through the outbox: written in the change's own transaction.

Time-off and trade decisions write their notification themselves (``notify``). Plain shift
edits (POST/PATCH/DELETE /shifts, bulk creation, schedule publication) are gathered per agent
while the transaction runs and written as one ``schedule_changed`` notification per agent just
before it commits (``notify_on_commit``): a published week is one message to each agent, not
one per shift. A flow that words its own notification (approving time off changes shifts too)
calls ``quiet_shift_notes`` so the agent is not told twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from opticall_common import topics
from opticall_common.notifications import AgentNotification, NotificationKind
from opticall_scheduling.models import OutboxRecord
from opticall_scheduling.outbox.writer import SHIFT_NOTES as _NOTES
from opticall_scheduling.outbox.writer import mark_pending

_QUIET = "shift_notes_quiet"


def notification_values(
    agent_id: str, kind: NotificationKind, message: str, actor: str | None, **refs: Any
) -> dict[str, Any]:
    """The column values of the outbox row of one notification."""
    note = AgentNotification(agent_id=agent_id, kind=kind, message=message, **refs)
    return {
        "change_id": note.notification_id,
        "topic": topics.AGENT_NOTIFICATIONS,
        "key": agent_id,
        "payload": note.model_dump_json(),
        "actor": actor,
    }


def notify(
    session: Session,
    agent_id: str,
    kind: NotificationKind,
    message: str,
    actor: str | None,
    **refs: Any,
) -> None:
    session.add(OutboxRecord(**notification_values(agent_id, kind, message, actor, **refs)))
    mark_pending(session)


def quiet_shift_notes(session: Session) -> None:
    """This transaction's notifications are written by its flow: no ``schedule_changed``."""
    session.info[_QUIET] = True


def shift_message(changes: list[tuple[str, str]]) -> str:
    counts: dict[str, int] = {}
    for op, _ in changes:
        counts[op] = counts.get(op, 0) + 1
    parts = [f"{n} shift{'s' if n > 1 else ''} {op}" for op, n in counts.items()]
    return "Your schedule changed: " + ", ".join(parts) + "."


def _write_shift_notes(session: Session) -> None:
    notes: dict[str, list[tuple[str, str]]] = session.info.pop(_NOTES, {})
    if session.info.pop(_QUIET, False):
        return
    for agent_id, changes in notes.items():
        ids = list(dict.fromkeys(shift_id for _, shift_id in changes))
        notify(
            session,
            agent_id,
            NotificationKind.schedule_changed,
            shift_message(changes),
            None,
            shift_ids=ids,
        )


def notify_on_commit(factory: sessionmaker[Session]) -> None:
    """Write the gathered shift notifications of every session of ``factory`` as it commits."""

    @event.listens_for(factory, "before_commit")
    def _before_commit(session: Session) -> None:
        _write_shift_notes(session)

    @event.listens_for(factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(_NOTES, None)
        session.info.pop(_QUIET, None)
