"""The outbox relay: publishes committed outbox rows to Kafka in id order, then marks them sent.

Guarantees and how they are kept:

* **Committed → published, rolled back → never.** Rows are written in the change's own
  transaction (``writer.record_change``); the relay only ever sees committed rows.
* **At least once.** A row is marked sent only after Kafka acknowledged it (idempotent producer,
  ``acks=all``). A crash between the two re-publishes it; consumers drop duplicates by
  ``change_id``.
* **Order per agent.** Rows go out in id order; after a failure the batch restarts at the first
  unacknowledged row, so a failed record is never overtaken by a later one that stays published
  alone. Records are keyed by ``agent_id``, so one agent's changes share a partition.
* **One relay at a time.** On PostgreSQL the relay holds a session advisory lock on a dedicated
  connection and reads and marks rows through that connection, so it only publishes while it
  provably still holds the lock; other replicas' relays idle until the holder goes away.
* **Kafka outages.** Connection failures back off exponentially (capped); the service keeps
  serving and its readiness reports Kafka as unavailable until the relay reconnects. The
  backlog is ``opticall_scheduling_outbox_pending``, counted after every batch and attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from sqlalchemy import Connection, Engine, delete, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from opticall_common import topics
from opticall_common.events import utcnow
from opticall_common.kafka import check_kafka, ensure_topics, make_producer
from opticall_common.metrics import EVENTS_PUBLISHED
from opticall_scheduling.models import OutboxRecord
from opticall_scheduling.outbox.metrics import OUTBOX_PENDING

log = logging.getLogger(__name__)

LOCK_NAME = "opticall_scheduling_outbox_relay"
# What the outbox carries: shift changes, and the notifications of the agents they affect.
PUBLISHED_TOPICS = (topics.SCHEDULE_CHANGES, topics.AGENT_NOTIFICATIONS)
PURGE_EVERY_SECONDS = 600.0


@dataclass(frozen=True)
class Pending:
    id: int
    topic: str
    key: str
    payload: str


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        bootstrap_servers: str,
        *,
        prefix: str = "",
        client_id: str = "opticall-scheduling-outbox",
        poll_seconds: float = 1.0,
        batch_size: int = 500,
        max_backoff_seconds: float = 30.0,
        retention: timedelta = timedelta(days=7),
        publish_timeout: float = 30.0,
        replication_factor: int = 1,
        coalesce_seconds: float = 0.0,
    ) -> None:
        self.engine = engine
        # Read at every (re)connect: an operator, or a test, may point the relay elsewhere.
        self.bootstrap_servers = bootstrap_servers
        self.prefix = prefix
        self.client_id = client_id
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.max_backoff = max_backoff_seconds
        self.retention = retention
        self.publish_timeout = publish_timeout
        self.replication_factor = replication_factor
        self.last_error: str | None = "not connected yet"
        self._producer: AIOKafkaProducer | None = None
        self._lock_conn: Connection | None = None
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_purge = 0.0
        self._last_measure = 0.0
        self.coalesce_seconds = coalesce_seconds

    # -- called from anywhere -------------------------------------------------------------
    def notify(self) -> None:
        """Wake the relay now (thread-safe: commits happen in worker threads)."""
        loop = self._loop
        # Already set: the relay has not started its next read yet, and that read will see this
        # (committed) change; skipping saves the event loop a wake-up per commit under load.
        if loop is not None and not loop.is_closed() and not self._wake.is_set():
            loop.call_soon_threadsafe(self._wake.set)

    async def check_kafka(self) -> None:
        """Readiness: raises while the relay cannot reach Kafka."""
        if self._producer is None:
            raise ConnectionError(f"Kafka unavailable: {self.last_error}")
        await check_kafka(self._producer)

    # -- the loop ---------------------------------------------------------------------------
    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        backoff = 0.2
        while True:
            self._wake.clear()  # before reading: a commit after this point wakes us again
            try:
                if self._producer is None:
                    await self._connect()
                # Holding the lock already (the usual case): no thread hop to find that out.
                if self._lock_conn is None and not await asyncio.to_thread(self._hold_lock):
                    await self._sleep(self.poll_seconds)  # another replica's relay publishes
                    continue
                count = await self.publish_once()
                await self._measure_backlog(throttled=True)
                backoff = 0.2
                if count >= self.batch_size:
                    continue  # more rows are waiting
                await self._purge_if_due()
                await self._sleep(self.poll_seconds, wakeable=True)
                if count and self.coalesce_seconds:
                    # Busy: let a few more commits land, so one read/publish/mark round covers
                    # many rows instead of one round (three transactions) per commit.
                    await asyncio.sleep(self.coalesce_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Kafka or the database is down, or something unexpected: log, back off, retry.
                # The loop must outlive any failure, or changes would silently stop flowing.
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("outbox relay: %s; retrying in %.1f s", self.last_error, backoff)
                await self._reset(kafka=isinstance(exc, KafkaError | TimeoutError | OSError))
                await self._measure_backlog()
                await self._sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    async def publish_once(self) -> int:
        """Publish one batch of unsent rows in id order; returns how many were acknowledged."""
        producer = self._producer
        assert producer is not None
        rows = await asyncio.to_thread(self._read_batch)
        if not rows:
            return 0
        results = await asyncio.wait_for(self._send(producer, rows), self.publish_timeout)
        acked: list[int] = []
        failure: BaseException | None = None
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                failure = result
                break
            acked.append(row.id)
        if acked:
            await asyncio.to_thread(self._mark_sent, acked)
            for topic, count in Counter(row.topic for row in rows[: len(acked)]).items():
                EVENTS_PUBLISHED.labels(topic=topic).inc(count)
        if failure is not None:
            raise failure
        self.last_error = None
        return len(acked)

    async def _send(
        self, producer: AIOKafkaProducer, rows: list[Pending]
    ) -> list[object | BaseException]:
        futures = [
            await producer.send(
                topics.topic(row.topic, self.prefix), row.payload.encode(), key=row.key.encode()
            )
            for row in rows
        ]
        return list(await asyncio.gather(*futures, return_exceptions=True))

    async def _connect(self) -> None:
        producer = make_producer(self.bootstrap_servers, self.client_id)
        try:
            await producer.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await producer.stop()
            raise
        self._producer = producer
        try:
            await ensure_topics(
                self.bootstrap_servers,
                [topics.topic(name, self.prefix) for name in PUBLISHED_TOPICS],
                replication_factor=self.replication_factor,
            )
        except KafkaError as exc:  # e.g. no admin rights: the topics may exist or auto-create
            log.warning("could not ensure the outbox's topics: %s", exc)
        log.info("outbox relay connected to Kafka at %s", self.bootstrap_servers)

    async def _reset(self, *, kafka: bool) -> None:
        if kafka and self._producer is not None:
            producer, self._producer = self._producer, None
            # A producer stuck on an unreachable broker may not stop promptly; don't wait on it.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), 5)
        await asyncio.to_thread(self._release_lock)

    async def _sleep(self, seconds: float, *, wakeable: bool = False) -> None:
        if not wakeable:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _purge_if_due(self) -> None:
        if time.monotonic() - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = time.monotonic()
        await asyncio.to_thread(self._purge)

    async def _measure_backlog(self, *, throttled: bool = False) -> None:
        """Update the backlog gauge; with the database down it keeps its last value.

        ``throttled``: at most twice per ``poll_seconds`` (a count per batch under load costs a
        connection and a query each time); the idle loop comes round every ``poll_seconds``,
        so the gauge still settles on the true count.
        """
        now = time.monotonic()
        if throttled and now - self._last_measure < self.poll_seconds / 2:
            return
        self._last_measure = now
        try:
            OUTBOX_PENDING.set(await asyncio.to_thread(self._count_pending))
        except (SQLAlchemyError, OSError) as exc:
            log.debug("outbox relay: cannot count the backlog: %s", exc)

    async def close(self) -> None:
        await self._reset(kafka=True)

    # -- database work (runs in a worker thread) --------------------------------------------
    def _hold_lock(self) -> bool:
        if self._lock_conn is not None:
            return True
        conn = self.engine.connect()
        if conn.dialect.name == "postgresql":
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(hashtext(:name))"), {"name": LOCK_NAME}
            ).scalar_one()
            conn.commit()
            if not got:
                conn.close()
                return False
        self._lock_conn = conn
        return True

    def _release_lock(self) -> None:
        conn, self._lock_conn = self._lock_conn, None
        if conn is None:
            return
        # Unlock first: closing the connection ends the session and with it the lock, but only
        # once the server's backend has noticed, so a replica asking at once could still be
        # refused (a flaky test showed it). On a broken connection the unlock fails and the
        # session's end releases the lock. Then invalidate rather than return it to the pool,
        # so a lock can never linger on a pooled session.
        if conn.dialect.name == "postgresql":
            with contextlib.suppress(Exception):
                unlock = text("SELECT pg_advisory_unlock(hashtext(:name))")
                conn.execute(unlock, {"name": LOCK_NAME})
                conn.commit()
        with contextlib.suppress(Exception):
            conn.invalidate()
        with contextlib.suppress(Exception):
            conn.close()

    def _conn(self) -> Connection:
        assert self._lock_conn is not None
        return self._lock_conn

    def _read_batch(self) -> list[Pending]:
        conn = self._conn()
        with conn.begin():
            rows = conn.execute(
                select(OutboxRecord.id, OutboxRecord.topic, OutboxRecord.key, OutboxRecord.payload)
                .where(OutboxRecord.sent_at.is_(None))
                .order_by(OutboxRecord.id)
                .limit(self.batch_size)
            ).all()
        return [Pending(r.id, r.topic, r.key, r.payload) for r in rows]

    def _mark_sent(self, ids: list[int]) -> None:
        conn = self._conn()
        with conn.begin():
            conn.execute(
                update(OutboxRecord).where(OutboxRecord.id.in_(ids)).values(sent_at=utcnow())
            )

    def _count_pending(self) -> int:
        # A pooled connection, not the lock's: this also runs after the lock was released.
        # Cheap: ix_outbox_unsent indexes exactly the unsent rows.
        with self.engine.connect() as conn:
            return int(
                conn.scalar(
                    select(func.count())
                    .select_from(OutboxRecord)
                    .where(OutboxRecord.sent_at.is_(None))
                )
                or 0
            )

    def _purge(self) -> None:
        conn = self._conn()
        with conn.begin():
            conn.execute(
                delete(OutboxRecord).where(OutboxRecord.sent_at < utcnow() - self.retention)
            )
