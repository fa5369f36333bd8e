"""Side effects of a state change, off the fold's hot path: ``adherence-changes`` and history.

The fold only appends to an in-memory queue; one task publishes and writes in batches, so a
slow database never slows the fold. On shutdown the queue is drained before resources close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from opticall_common import topics
from opticall_common.events import Adherence, AdherenceChange, AgentState, new_id
from opticall_common.kafka import EventPublisher
from opticall_realtime.history import insert_rows
from opticall_realtime.record import AgentRecord

log = logging.getLogger(__name__)

BATCH = 1000
Item = tuple[AdherenceChange | None, dict[str, Any] | None]


class ChangeSink:
    def __init__(
        self, publisher: EventPublisher | None, sessions: sessionmaker[Session] | None
    ) -> None:
        self.publisher = publisher
        self.sessions = sessions
        self.queue: asyncio.Queue[Item] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.written = 0

    def record(
        self, agent_id: str, old: AgentRecord | None, new: AgentRecord, at: float, seg_at: float
    ) -> None:
        """Queue what changed between ``old`` and ``new`` (called by the fold; never blocks)."""
        adherence_changed = old is None or old.adherence != new.adherence
        change = None
        # Build only what someone consumes (no publisher: no change event; no DB: no row).
        if adherence_changed and self.publisher is not None:
            # Built from trusted values on the fold's hot path: no validation pass needed.
            change = AdherenceChange.model_construct(
                change_id=new_id(),
                agent_id=agent_id,
                adherence=Adherence(new.adherence),
                previous=Adherence(old.adherence) if old is not None else None,
                state=AgentState(new.state),
                scheduled_activity=new.activity,
                at=datetime.fromtimestamp(at, UTC),
            )
        row = None
        if self.sessions is not None and (
            old is None
            or adherence_changed
            or (old.state, old.activity, old.queue) != (new.state, new.activity, new.queue)
        ):
            row = {
                "agent_id": agent_id,
                "at": datetime.fromtimestamp(at if adherence_changed else seg_at, UTC),
                "queue": new.queue,
                "adherence": new.adherence,
                "previous": old.adherence if old is not None else None,
                "state": new.state,
                "activity": new.activity,
            }
        if change is not None or row is not None:
            self.queue.put_nowait((change, row))

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="change-sink")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._flush_remaining()

    async def _run(self) -> None:
        while True:
            first = await self.queue.get()
            batch = [first]
            while len(batch) < BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            await self._write(batch)

    async def _flush_remaining(self) -> None:
        batch = []
        while not self.queue.empty():
            batch.append(self.queue.get_nowait())
        if batch:
            await self._write(batch)

    async def _write(
        self, batch: list[tuple[AdherenceChange | None, dict[str, Any] | None]]
    ) -> None:
        changes = [(c.agent_id, c) for c, _ in batch if c is not None]
        rows = [r for _, r in batch if r is not None]
        if changes and self.publisher is not None:
            try:
                await self.publisher.publish_many(topics.ADHERENCE_CHANGES, changes)
                self.published += len(changes)
            except Exception:  # a broker outage must not kill the sink; the state is in Kafka
                log.exception("could not publish %d adherence changes", len(changes))
        if rows and self.sessions is not None:
            try:
                await asyncio.to_thread(insert_rows, self.sessions, rows)
                self.written += len(rows)
            except SQLAlchemyError:
                log.exception("could not write %d adherence history rows", len(rows))
