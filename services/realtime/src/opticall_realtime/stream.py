"""The Faust app: folds ``agent-events`` and ``schedule-changes`` into per-agent state.

Design (scale-out and recovery)
-------------------------------
- Every instance runs the same Faust app (id ``<KAFKA_TOPIC_PREFIX>opticall-realtime``) in one
  consumer group, so Kafka spreads the partitions of ``agent-events`` and ``schedule-changes``
  (co-partitioned by ``agent_id``) across instances. Each agent has exactly one owner.
- The owner folds events into the ``agent-state`` table (in-memory store) whose changelog is
  the compacted topic ``agent-state`` (``topics.AGENT_STATE``); schedules go to a second table.
  Both changelogs are keyed by the raw ``agent_id``; timer writes (no event in flight) use
  Kafka's default murmur2 partitioning of that key, the partition event writes use too.
- A restarted or newly assigned instance rebuilds its tables from the changelogs (Faust
  recovery), never from memory; adherence is re-evaluated after recovery, catching any
  boundary crossed while it was down.
- Every instance also reads all of ``agent-state`` with no consumer group (``view.py``), so a
  WebSocket or GET on any instance sees every agent; the owner applies its own writes at once.
- The owner alone publishes ``adherence-changes`` and writes history, with a timer waking at
  the next shift/activity boundary or grace deadline of each agent it owns.

Faust and FastAPI share one event loop: the app starts in the FastAPI lifespan
(``faust.contrib.asgi.faust_app_running``).

Hot path: ``agent-events`` records are folded a fetched batch at a time, straight from
Faust's consumer loop (no Faust message, event, conductor pass or agent task per record; see
``inline.py``), by one loop (``batch.py``). Every event is folded and judged in order, but
each agent's final record is written to the table, the view, the WebSockets and the
changelog once per batch, the changelog as aiokafka record batches (``changelog.py``).
Offsets are acked once those writes are in the producer, so a commit never outruns the
changelog. The low-rate ``schedule-changes`` keep an ordinary Faust agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from aiokafka import ConsumerRecord
from faust.types import TP, StreamT
from pydantic import ValidationError

from opticall_common import topics
from opticall_common.events import AgentEvent, DeadLetter, ScheduleChange
from opticall_common.kafka import EventPublisher, encode
from opticall_common.metrics import DLQ_RECORDS, EVENTS_CONSUMED
from opticall_realtime.adherence import Schedule, Segments, Shift, apply_change, evaluate
from opticall_realtime.batch import fold_records
from opticall_realtime.changelog import ChangelogWriter
from opticall_realtime.config import Settings
from opticall_realtime.faust_app import App, DecodingTable
from opticall_realtime.inline import ack_offsets
from opticall_realtime.record import AgentRecord, fold_event
from opticall_realtime.sink import ChangeSink
from opticall_realtime.timers import DueTimer
from opticall_realtime.view import AgentView

log = logging.getLogger(__name__)


def _decode_schedule(raw: Any) -> Schedule:
    return tuple(Shift.decode(s) for s in raw)


class Engine:
    """Owns the Faust app, its tables and the adherence timer."""

    def __init__(
        self,
        settings: Settings,
        view: AgentView,
        sink: ChangeSink,
        publisher: EventPublisher | None,
    ) -> None:
        self.settings = settings
        self.view = view
        self.sink = sink
        self.publisher = publisher
        prefix = settings.kafka_topic_prefix
        self.events_topic = topics.topic(topics.AGENT_EVENTS, prefix)
        self.schedules_topic = topics.topic(topics.SCHEDULE_CHANGES, prefix)
        self.state_topic = topics.topic(topics.AGENT_STATE, prefix)
        app_id = f"{prefix}opticall-realtime"
        # Faust wants a data directory even with the in-memory store; keep it out of the repo.
        datadir = Path(tempfile.gettempdir()) / "opticall-realtime" / app_id
        datadir.parent.mkdir(parents=True, exist_ok=True)
        self.app = App(
            app_id,
            broker=[f"kafka://{b.strip()}" for b in settings.kafka_bootstrap_servers.split(",")],
            store="memory://",
            web_enabled=False,
            autodiscover=False,
            datadir=datadir,
            topic_partitions=settings.partitions,
            topic_replication_factor=settings.replication_factor,
            table_standby_replicas=0,  # every instance holds the full view anyway
            consumer_auto_offset_reset="earliest",
            stream_wait_empty=False,
            # Table writes are sent one by one from Faust's buffer; a longer linger batches
            # them (5x the fold rate at 20 ms on the benchmark). The owner's own view and
            # WebSockets are updated at once; only other instances see the linger.
            producer_linger=settings.changelog_linger_ms / 1000,
            # aiokafka keeps one batch per partition queued and one request per broker in
            # flight, so the batch size caps the changelog's rate: at the default 16 KiB
            # (~120 records) the fold spent a quarter of the benchmark waiting for the
            # changelog to drain; at 256 KiB, under a tenth.
            producer_max_batch_size=256 * 1024,
        )
        self.app.fetch_max_wait_ms = settings.fetch_max_wait_ms
        self.states = self._table("agent-state", self.state_topic, AgentRecord.decode)
        self.schedules = self._table("schedules", f"{app_id}-schedules-changelog", _decode_schedule)
        self.states.on_recover(self._on_recover)
        # Told which agent-events partitions this instance owns after each rebalance.
        self.on_ownership: Callable[[set[int]], None] | None = None
        # (cast: mypy cannot match a method against mode's union of handler types)
        self.app.on_partitions_assigned.connect(cast(Any, self._on_assigned))
        self.app.on_partitions_revoked.connect(cast(Any, self._on_revoked))
        self.writer = ChangelogWriter(self.app, self.state_topic)
        self.states.writer = self.app.changelog_writer = self.writer
        events, schedules = (
            self.app.topic(
                name,
                key_type=bytes,
                value_type=bytes,
                key_serializer="raw",
                value_serializer="raw",
            )
            for name in (self.events_topic, self.schedules_topic)
        )
        # Subscribed through the conductor as usual; its records never reach the channel.
        self.app.topics.add(events)
        self.app.batch_handlers = {self.events_topic: self.fold_batch}
        self.app.agent(schedules, name="fold-schedule-changes")(self._fold_schedules)
        self._consumed = EVENTS_CONSUMED.labels(topic=topics.AGENT_EVENTS)
        self._letters: set[asyncio.Task[None]] = set()
        self.timer = DueTimer(self._on_due)
        self.segments = Segments()
        self._timer: asyncio.Task[None] | None = None
        self.folded = 0
        self.duplicates = 0

    def _table(self, name: str, changelog: str, decode: Callable[[Any], Any]) -> DecodingTable:
        topic = self.app.topic(
            changelog,
            key_type=str,
            key_serializer="raw",
            value_serializer="json",
            partitions=self.settings.partitions,
            compacting=True,
            deleting=False,
            internal=True,
        )
        table = DecodingTable(
            self.app,
            name=name,
            beacon=self.app.tables.beacon,
            default=None,
            key_type=str,
            changelog_topic=topic,
            partitions=self.settings.partitions,
        )
        table.decode = decode
        table.key_serializer = "raw"
        self.app.tables.add(table)
        return table

    # --- fold -------------------------------------------------------------------------------

    def fold_batch(self, tp: TP, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """Fold one partition's fetched ``agent-events`` records; ack them once written.

        Every event is folded and judged for adherence in order (history and adherence
        changes stay exact), but the table, the view, the WebSockets and the changelog get
        each agent's final record once per batch: one changelog record per agent and batch
        still lets a restarted instance recover the exact state.
        """
        out = fold_records(
            records,
            self.states.data.data,  # the in-memory store's dict (``Mapping.get`` raised per miss)
            self.schedules.data.data,
            self.segments,
            self.settings.grace_for,
            self.timer.arm,
            self.sink.record,
            functools.partial(self._dead_letter_later, tp),
            time.time(),
        )
        latest, offsets = out.latest, out.offsets
        self._consumed.inc(len(offsets))
        self.folded += out.folded
        self.duplicates += len(offsets) - out.folded
        self.states.data.data.update(latest)
        self.view.put_many(latest)
        consumer = self.app.consumer
        self.writer.put_many(tp.partition, latest, lambda: ack_offsets(consumer, tp, offsets))

    def _dead_letter_later(self, tp: TP, record: ConsumerRecord[bytes, bytes], error: str) -> None:
        """Dead-letter off the fold's path; the record is acked once the letter is sent."""

        async def send() -> None:
            try:
                await self._dead_letter(record, topics.AGENT_EVENTS, error)
            except Exception:  # left unacked: not committed, so redelivered after a restart
                log.exception("could not dead-letter a record of %s", record.topic)
                return
            ack_offsets(self.app.consumer, tp, (record.offset,))

        task = asyncio.ensure_future(send())
        self._letters.add(task)
        task.add_done_callback(self._letters.discard)

    def apply_event(self, ev: AgentEvent) -> None:
        """Fold one event outside the consumer (its changelog write has no record to ack)."""
        old = self.states.get(ev.agent_id)
        new = fold_event(old, ev)
        if new is None:
            self.duplicates += 1
            return
        self.folded += 1
        self._commit(ev.agent_id, old, new, time.time())

    async def _fold_schedules(self, stream: StreamT[Any]) -> None:
        async for event in stream.events():
            try:
                change = ScheduleChange.model_validate_json(event.value)
            except (ValidationError, ValueError) as exc:
                await self._dead_letter(event.message, topics.SCHEDULE_CHANGES, str(exc))
                continue
            EVENTS_CONSUMED.labels(topic=topics.SCHEDULE_CHANGES).inc()
            now = time.time()
            keep = self.settings.schedule_keep_hours * 3600
            shifts = self.schedules.get(change.agent_id) or ()
            self.schedules[change.agent_id] = apply_change(shifts, change, now, keep)
            self.reevaluate(change.agent_id, now)

    def reevaluate(self, agent_id: str, now: float) -> None:
        rec = self.states.get(agent_id)
        if rec is not None:
            self._commit(agent_id, rec, rec, now)

    def _commit(self, agent_id: str, old: AgentRecord | None, new: AgentRecord, now: float) -> None:
        schedule = self.schedules.data.data.get(agent_id) or ()
        rec = self._settle(agent_id, old, new, now, schedule)
        if rec is not None:
            self.states[agent_id] = rec  # the table writes its changelog record
            self.view.put(agent_id, rec)

    def _settle(
        self,
        agent_id: str,
        old: AgentRecord | None,
        new: AgentRecord,
        now: float,
        schedule: Schedule,
    ) -> AgentRecord | None:
        """``new`` with adherence brought up to date and its side effects queued.

        ``None`` when nothing changed (a timer or a schedule change with no effect).
        """
        seg = self.segments.at(agent_id, schedule, now) if schedule else None
        rec, at, began, due = evaluate(new, schedule, now, self.settings.grace_for, seg)
        if due is not None:
            self.timer.arm(agent_id, due)
        if old is not None:
            if rec == old:
                return None
            if rec.seq == old.seq:
                rec = rec._replace(seq=old.seq + 1)
        self.sink.record(agent_id, old, rec, at if at < now else now, began if began < now else now)
        return rec

    async def _dead_letter(self, msg: Any, logical: str, error: str) -> None:
        """Send a refused record (a Faust message or an aiokafka record) to its ``.dlq``."""
        letter = DeadLetter(
            topic=msg.topic,
            partition=msg.partition,
            offset=msg.offset,
            key=msg.key.decode(errors="replace") if isinstance(msg.key, bytes) else None,
            value=(msg.value or b"").decode(errors="replace"),
            error=error[:2000],
        )
        if self.publisher is not None:
            await self.publisher.producer.send_and_wait(
                topics.dlq(msg.topic), encode(letter), key=msg.key
            )
        DLQ_RECORDS.labels(topic=logical).inc()
        log.warning("dead-lettered %s@%s:%s: %s", msg.topic, msg.partition, msg.offset, error[:200])

    # --- ownership ----------------------------------------------------------------------------

    def _on_assigned(self, sender: Any, *args: Any, signal: Any = None, **_: Any) -> None:
        assigned: set[TP] = args[0] if args else set()
        owned = {tp.partition for tp in assigned if tp.topic == self.events_topic}
        if self.on_ownership is not None:
            self.on_ownership(owned)

    def _on_revoked(self, sender: Any, *args: Any, signal: Any = None, **_: Any) -> None:
        self.segments.clear()  # only a memory matter: a schedule reloaded is a new tuple
        # Until the next assignment, nothing is ours: read every partition.
        if self.on_ownership is not None:
            self.on_ownership(set())

    # --- timers -----------------------------------------------------------------------------

    def _on_due(self, agent_id: str, now: float) -> None:
        if agent_id in self.states:  # still ours after any rebalance
            self.reevaluate(agent_id, now)

    async def _on_recover(self) -> None:
        now = time.time()
        for agent_id, rec in list(self.states.items()):
            shared = self.view.get(agent_id)
            if shared is not None and shared == rec and shared is not rec:
                # Hold one object per agent: the view's copy (no changelog write needed).
                self.states.data[agent_id] = shared
            self.reevaluate(agent_id, now)
        log.info("recovered %d agents", len(self.states))

    def start_timer(self) -> None:
        self._timer = asyncio.create_task(self.timer.run(), name="adherence-timer")

    async def stop_timer(self) -> None:
        """Stop the timer, then send the queued changelog writes (the app still runs)."""
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        await self.writer.stop()
