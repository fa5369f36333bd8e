"""The scheduling service's runtime: everything the lifespan opens, as one typed object.

``open_runtime(settings)`` is the one wiring of the service: the app's lifespan, the
benchmarks and the tests all use it, so none of them repeats how the pieces fit together.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from opticall_common.db import make_engine, make_sessionmaker, run_migrations
from opticall_common.resources import Resources, open_resources
from opticall_scheduling.config import Settings
from opticall_scheduling.database import MIGRATIONS, VERSION_TABLE, use_immediate_transactions
from opticall_scheduling.outbox.notifications import notify_on_commit
from opticall_scheduling.outbox.relay import OutboxRelay
from opticall_scheduling.outbox.writer import wake_on_commit
from opticall_scheduling.shifts.fast import make_fast_engine
from opticall_scheduling.shifts.service import MAX_LENGTH_INFO


@dataclass
class Runtime:
    """What the routes use, built once per process by ``open_runtime``."""

    settings: Settings
    res: Resources  # token verifier, HTTP client, readiness checks
    engine: Engine
    sessions: sessionmaker[Session]
    relay: OutboxRelay
    # The one-statement POST /shifts path (shifts.fast); None where it does not apply (SQLite).
    fast_engine: Engine | None
    # One solve at a time per process: two concurrent CP-SAT solves on two cores would each
    # get half the time limit's worth of search.
    solve_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def make_relay(settings: Settings, engine: Engine) -> OutboxRelay:
    return OutboxRelay(
        engine,
        settings.kafka_bootstrap_servers,
        prefix=settings.kafka_topic_prefix,
        poll_seconds=settings.outbox_poll_seconds,
        batch_size=settings.outbox_batch_size,
        max_backoff_seconds=settings.outbox_max_backoff_seconds,
        retention=timedelta(hours=settings.outbox_retention_hours),
        replication_factor=settings.kafka_replication_factor,
        coalesce_seconds=settings.outbox_coalesce_seconds,
    )


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Migrate, open the database, the verifier and the outbox relay; close all on exit."""
    if settings.run_migrations:
        await asyncio.to_thread(run_migrations, MIGRATIONS, settings.database_url, VERSION_TABLE)
    # Kafka is the relay's own business (kafka=False): the service must start and serve
    # while Kafka is down, and the relay reconnects on its own.
    async with open_resources(settings, "opticall-scheduling", kafka=False) as res:
        # The engine is made here rather than by open_resources for its pool size; the
        # resources still report it in /readyz and dispose of it on the way out.
        res.engine = engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
        res.sessions = sessions = make_sessionmaker(engine)
        use_immediate_transactions(engine)
        sessions.configure(info={MAX_LENGTH_INFO: settings.max_shift_length})
        relay = make_relay(settings, engine)
        wake_on_commit(sessions, relay.notify)
        notify_on_commit(sessions)
        res.extra_checks["kafka"] = relay.check_kafka
        fast_engine = make_fast_engine(settings.database_url, pool_size=settings.db_pool_size)
        runtime = Runtime(settings, res, engine, sessions, relay, fast_engine)
        task = asyncio.create_task(relay.run(), name="outbox-relay")
        try:
            yield runtime
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await relay.close()
            if fast_engine is not None:
                fast_engine.dispose()
