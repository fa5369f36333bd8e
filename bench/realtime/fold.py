"""Fold throughput and memory per agent (run by bench/realtime/run.py, one mode per process).

- ``BENCH_RT_MODE=rate`` (default): ``BENCH_RT_ROUNDS`` (9) rounds against one running
  realtime Engine (the service's Faust app, its table and changelog, the full-view reader and
  the change sink, on this loop) and the run's fresh prefixed ``agent-events`` topic. Each
  round produces ``BENCH_RT_EVENTS`` (30,000) events of new agents while the Engine is paused;
  the baseline reads them, a bare aiokafka consumer (``getmany``) that validates every
  record with the contract's model (``AgentEvent.model_validate_json``) but keeps no state,
  writes nothing and has no offsets to commit; the Engine is resumed and folds them;
  the baseline reads them again. Each fold is compared with the mean of the two baseline runs
  around it, all within seconds: this shared machine's CPU speed drifts by tens of percent
  within a minute (the same consumer measured 49k and 107k events/s in one process), and
  paired, interleaved rounds cancel that. run.py reports the median of the rounds' ratios.
- ``BENCH_RT_MODE=scheduled``: the same rounds, but with the same ``BENCH_RT_EVENTS`` agents
  every round, each already known and on a shift (half of them on a break now), their states
  rotating from round to round, so every event is judged against a schedule. Rate mode's
  agents have no shifts (adherence is trivially "unscheduled") and are new every round (the
  worst case for the table's and the view's growth).
- ``BENCH_RT_MODE=extras``: information only, in a process of its own so nothing it leaves
  behind slows a fold: the same consumer without even decoding (the wire ceiling), the same
  consumer decoding as the fold does (``agent_event_core``: the fields the fold reads, as the
  model gives them, no model built; the fold's decoding is that much cheaper than the
  baseline's),
  and a Faust agent that does nothing with each event: Faust's own per-message path, which the
  fold bypasses (``inline.py``); what an ordinary agent reaches before doing any work.
- ``BENCH_RT_MODE=memory`` (a process of its own so the baselines' garbage is not counted):
  ``BENCH_RT_EVENTS`` agents, then ``BENCH_RT_AGENTS`` (default 100,000) more, both produced
  by a child process (as an ACD would), folded through the service's parts; RSS after minus
  RSS before, divided by the agents.
Prints one JSON object on stdout.
"""

# ruff: noqa: ASYNC110 - polling the counters the engine exposes is what a benchmark does
from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from faust.contrib.asgi import faust_app_running
from faust.types import TP

from opticall_common import topics
from opticall_common.events import (
    AgentEvent,
    ScheduleChange,
    ShiftActivity,
    ShiftSnapshot,
    agent_event_core,
)
from opticall_realtime.config import Settings
from opticall_realtime.hub import Hub
from opticall_realtime.main import prepare_topics, tune_gc
from opticall_realtime.sink import ChangeSink
from opticall_realtime.stream import Engine
from opticall_realtime.view import AgentView, ChangelogReader

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for the shared helpers
from _util import drop_topics

AGENTS = int(os.environ.get("BENCH_RT_AGENTS", "100000"))
EVENTS = int(os.environ.get("BENCH_RT_EVENTS", "30000"))
ROUNDS = int(os.environ.get("BENCH_RT_ROUNDS", "9"))
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def produce(topic: str, n: int, start: int = 0, name: str = "agent", turn: int = 0) -> None:
    await send_all(topic, make_events(n, start, name, turn))


async def send_all(topic: str, events: Sequence[AgentEvent | ScheduleChange]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=BOOTSTRAP, linger_ms=20, max_batch_size=512 * 1024, acks=1
    )
    await producer.start()
    try:
        futures = []
        for ev in events:
            futures.append(
                await producer.send(topic, ev.model_dump_json().encode(), key=ev.agent_id.encode())
            )
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def make_shifts(n: int, name: str) -> list[ScheduleChange]:
    """A shift now for each of ``n`` agents; every other one is on a break right now."""
    now = datetime.now(UTC)
    changes = []
    for i in range(n):
        start, end = now - timedelta(hours=2), now + timedelta(hours=6)
        pause = now - timedelta(minutes=5) if i % 2 else now + timedelta(hours=2)
        shift = ShiftSnapshot(
            id=f"shift-{i}",
            agent_id=f"{name}-{i:06d}",
            start=start,
            end=end,
            activities=[
                ShiftActivity(kind="break", start=pause, end=pause + timedelta(minutes=15))
            ],
        )
        changes.append(
            ScheduleChange(op="created", shift_id=shift.id, agent_id=shift.agent_id, shift=shift)
        )
    return changes


async def produce_elsewhere(topic: str, n: int, start: int) -> None:
    """``produce`` in a child process: the events it builds are the ACD's memory, not ours.

    Produced in this process, 100,000 pydantic events and their send futures left freed
    memory interleaved with the agents' records, which RSS then counted per agent.
    """
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "produce", topic, str(n), str(start)
    )
    if await child.wait() != 0:
        raise RuntimeError("the producer child failed")


async def raw_rate(
    topic: str,
    partitions: int,
    n: int,
    decode: Callable[[bytes], object] | None = AgentEvent.model_validate_json,
    start: dict[int, int] | None = None,
) -> tuple[float, float]:
    """Events per second and per CPU-second of this process, over ``n`` records.

    Read from the partitions' beginning, or from the offsets in ``start`` (partition: offset).
    The clocks start when the first records have arrived, as the fold's do (at its first
    batch), so neither side is charged for the wait before the first fetch.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=BOOTSTRAP, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        if start is None:
            await consumer.seek_to_beginning(*tps)
        else:
            for tp in tps:
                consumer.seek(tp, start[tp.partition])
        seen = 0
        deadline = time.monotonic() + 300
        first = cpu = 0.0
        while seen < n and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            if batches and not seen:
                first, cpu = time.perf_counter(), time.process_time()
            for records in batches.values():
                seen += len(records)
                if decode is not None:
                    for record in records:
                        decode(record.value)
        return seen / (time.perf_counter() - first), seen / (time.process_time() - cpu)
    finally:
        await consumer.stop()


async def bare_faust_rate(topic: str, partitions: int, n: int, prefix: str) -> float:
    """A Faust agent that does nothing with each event: Faust's per-message path alone.

    Not a ceiling for the fold, which takes whole fetched batches past that path: the
    comparison shows what bypassing it buys.
    """
    import faust

    app_id = f"{prefix}bare-{uuid.uuid4().hex[:8]}"  # prefixed: its topics are deleted too
    app = faust.App(
        app_id,
        broker=f"kafka://{BOOTSTRAP}",
        store="memory://",
        web_enabled=False,
        autodiscover=False,
        topic_partitions=partitions,
        consumer_auto_offset_reset="earliest",
        datadir=f"/tmp/opticall-realtime/{app_id}",
    )
    src = app.topic(
        topic, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )
    marks: dict[str, float] = {}
    count = [0]

    async def agent(stream: faust.StreamT[bytes]) -> None:
        async for _ in stream.events():
            if not count[0]:
                marks["first"] = time.perf_counter()
            count[0] += 1
            marks["last"] = time.perf_counter()

    app.agent(src, name="bare")(agent)
    async with faust_app_running(app):
        deadline = time.monotonic() + 600
        while count[0] < n and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    return (count[0] - 1) / (marks["last"] - marks["first"])


def make_events(n: int, start: int, name: str = "agent", turn: int = 0) -> list[AgentEvent]:
    """``n`` events of agents ``name-<start>`` on, stamped now; ``turn`` rotates their states."""
    now = datetime.now(UTC)
    states = ["available", "on_call", "after_call_work", "break", "not_ready"]
    return [
        AgentEvent(
            event_id=uuid.uuid4().hex,
            agent_id=f"{name}-{i:06d}",
            state=states[(i + turn) % len(states)],
            timestamp=now,
            queue=f"q{i % 20}",
            source="bench",
        )
        for i in range(start, start + n)
    ]


def bench_settings(prefix: str) -> Settings:
    return Settings(
        KAFKA_BOOTSTRAP_SERVERS=BOOTSTRAP,
        KAFKA_TOPIC_PREFIX=prefix,
        OPTICALL_ENV="test",
        database_url="sqlite://",
        history_enabled=False,
    )


def service_parts(settings: Settings) -> tuple[Engine, AgentView, ChangelogReader, ChangeSink]:
    """The engine, view, reader and sink wired as the service's lifespan wires them."""
    view = AgentView(Hub(settings.ws_queue_size))
    state_topic = topics.topic(topics.AGENT_STATE, settings.kafka_topic_prefix)
    reader = ChangelogReader(BOOTSTRAP, state_topic, view)
    sink = ChangeSink(None, None)
    engine = Engine(settings, view, sink, None)
    engine.on_ownership = reader.follow
    return engine, view, reader, sink


@contextlib.asynccontextmanager
async def running(engine: Engine, reader: ChangelogReader, sink: ChangeSink) -> AsyncIterator[None]:
    """The parts started and stopped in the order the service's lifespan uses."""
    await reader.start()
    await sink.start()
    try:
        async with faust_app_running(engine.app):
            tune_gc()  # as the service's lifespan does once the app runs
            yield
            await engine.stop_timer()  # sends the queued changelog writes while the app runs
    finally:
        await sink.stop()
        await reader.stop()


async def end_offsets(topic: str, partitions: int) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=None)
    await consumer.start()
    try:
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in range(partitions)])
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


async def rate_main(prefix: str, scheduled: bool = False) -> None:
    """``ROUNDS`` chunks of ``EVENTS`` new agents' events, each read by the baseline, folded
    by the running Engine, and read by the baseline again, the three within seconds.

    The Engine's consumer is paused (Faust's ``pause_partitions``) while a chunk is produced
    and the baseline reads it, then resumed; its clock runs from its first folded batch of the
    chunk until the changelog writes of its last are in the producer (the batch is acked), as
    the baseline's runs from its first records to its last. The second baseline run starts
    once nothing is left to write.

    ``scheduled``: the same ``EVENTS`` agents every round instead, each with a shift (half of
    them on a break now) and already known from an unmeasured first chunk, their states
    rotating from round to round: every event is judged against a schedule.
    """
    settings = bench_settings(prefix)
    await prepare_topics(settings)
    topic = topics.topic(topics.AGENT_EVENTS, prefix)
    engine, _, reader, sink = service_parts(settings)
    original = engine.fold_batch
    marks: dict[str, float] = {}

    def timed(tp: TP, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        if not marks:
            marks["first"] = time.perf_counter()
            marks["cpu_first"] = time.process_time()
        original(tp, records)

    engine.app.batch_handlers[engine.events_topic] = timed
    put_many = engine.writer.put_many

    def put_timed(partition: int, writes: Any, on_sent: Callable[[], None] | None) -> None:
        # The fold's clock stops when its last changelog writes are in the producer (when
        # the batch is acked), not when its last fold_batch returns: the writes are its work.
        def sent() -> None:
            if on_sent is not None:
                on_sent()
            marks["last"] = time.perf_counter()
            marks["cpu_last"] = time.process_time()

        put_many(partition, writes, sent)

    engine.writer.put_many = put_timed  # type: ignore[method-assign]
    consumer = engine.app.consumer
    tps = {TP(topic, p) for p in range(settings.partitions)}
    rounds = []
    async with running(engine, reader, sink):
        deadline = time.monotonic() + 120
        while not tps <= consumer.assignment() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        if scheduled:
            await know_scheduled_agents(engine, prefix)
        for k in range(ROUNDS):
            consumer.pause_partitions(tps)
            start = await end_offsets(topic, settings.partitions)
            if scheduled:
                await produce(topic, EVENTS, name="sched", turn=k + 1)
            else:
                await produce(topic, EVENTS, start=k * EVENTS)
            before, before_cpu = await raw_rate(topic, settings.partitions, EVENTS, start=start)
            marks.clear()
            done = engine.folded + engine.duplicates + EVENTS
            consumer.resume_partitions(tps)
            await folded_and_written(engine, done, deadline + 900)
            fold = EVENTS / (marks["last"] - marks["first"])
            fold_cpu = EVENTS / (marks["cpu_last"] - marks["cpu_first"])
            # Only now: while the changelog was still being written, the second baseline ran
            # ~40% slower than the first and flattered the fold's ratio.
            after, after_cpu = await raw_rate(topic, settings.partitions, EVENTS, start=start)
            raw = (before + after) / 2
            print(
                f"round {k + 1}: raw {before:.0f}, fold {fold:.0f}, raw {after:.0f} ev/s:"
                f" {fold / raw:.3f}",
                file=sys.stderr,
            )
            rounds.append(
                {
                    "raw_rate": raw,
                    "raw_rates": [before, after],
                    "raw_cpu_rate": (before_cpu + after_cpu) / 2,
                    "fold_rate": fold,
                    "fold_cpu_rate": fold_cpu,
                }
            )
    print(json.dumps({"events": EVENTS, "rounds": rounds}))


async def know_scheduled_agents(engine: Engine, prefix: str) -> None:
    """Give ``EVENTS`` agents a shift each, then fold one event of each (not measured)."""
    schedules = engine.schedules.data.data
    await send_all(topics.topic(topics.SCHEDULE_CHANGES, prefix), make_shifts(EVENTS, "sched"))
    deadline = time.monotonic() + 300
    while len(schedules) < EVENTS and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    done = engine.folded + engine.duplicates + EVENTS
    await produce(topics.topic(topics.AGENT_EVENTS, prefix), EVENTS, name="sched")
    await folded_and_written(engine, done, deadline)
    print(f"{len(schedules)} agents with shifts known", file=sys.stderr)


async def folded_and_written(engine: Engine, done: int, deadline: float) -> None:
    """Wait until ``done`` events are folded (or dropped as duplicates) and written."""
    while (
        engine.folded + engine.duplicates < done or engine.writer.queued
    ) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


async def extras_main(prefix: str) -> None:
    settings = bench_settings(prefix)
    await prepare_topics(settings)
    topic = topics.topic(topics.AGENT_EVENTS, prefix)
    await produce(topic, EVENTS)
    nodecode, _ = await raw_rate(topic, settings.partitions, EVENTS, None)
    print(f"raw aiokafka, no decode: {nodecode:.0f} ev/s", file=sys.stderr)
    # The baseline's decoding and the fold's, in alternate runs (the machine's speed drifts).
    models, cores = [], []
    for _ in range(5):
        models.append((await raw_rate(topic, settings.partitions, EVENTS))[0])
        cores.append((await raw_rate(topic, settings.partitions, EVENTS, agent_event_core))[0])
    model = statistics.median(models)
    core_ratio = statistics.median(c / m for c, m in zip(cores, models, strict=True))
    print(f"raw aiokafka + agent_event_core / + model: {core_ratio:.3f}", file=sys.stderr)
    bare = await bare_faust_rate(topic, settings.partitions, EVENTS, prefix)
    print(f"bare Faust agent: {bare:.0f} ev/s", file=sys.stderr)
    print(
        json.dumps(
            {
                "events": EVENTS,
                "raw_nodecode_rate": nodecode,
                "raw_model_rate": model,
                "raw_core_over_model": core_ratio,
                "bare_faust_rate": bare,
            }
        )
    )


async def settle(engine: Engine, view: AgentView, sink: ChangeSink, agents: int) -> None:
    """Wait until ``agents`` are folded, in the view, written and nothing is queued; collect."""
    deadline = time.monotonic() + 900
    while len(view.records) < agents and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    while (
        engine.app.producer.buffer.size or engine.writer.pending or not sink.queue.empty()
    ) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(3)  # a commit interval: acked offsets are committed and dropped
    gc.collect()


async def memory_main(prefix: str) -> None:
    """In a process of its own: nothing but the service's parts and their history.

    ``EVENTS`` agents first (start-up and steady-state buffers reach their size), then RSS;
    ``AGENTS`` more, produced by a child process, then RSS again.
    """
    settings = bench_settings(prefix)
    await prepare_topics(settings)
    topic = topics.topic(topics.AGENT_EVENTS, prefix)
    engine, view, reader, sink = service_parts(settings)
    async with running(engine, reader, sink):
        await produce_elsewhere(topic, EVENTS, start=0)
        await settle(engine, view, sink, EVENTS)
        rss_before = rss_bytes()
        print(f"producing {AGENTS} more agents", file=sys.stderr)
        live_start = time.perf_counter()
        await produce_elsewhere(topic, AGENTS, start=EVENTS)
        while engine.folded < EVENTS + AGENTS and time.monotonic() - live_start < 900:
            await asyncio.sleep(0.1)
        live_rate = AGENTS / (time.perf_counter() - live_start)
        print(f"realtime fold, produced while running: {live_rate:.0f} ev/s", file=sys.stderr)
        await settle(engine, view, sink, EVENTS + AGENTS)
        rss_after = rss_bytes()
    print(
        json.dumps(
            {
                "agents": AGENTS,
                "live_fold_rate": live_rate,
                "rss_before": rss_before,
                "rss_after": rss_after,
                "bytes_per_agent": (rss_after - rss_before) / AGENTS,
                "view_agents": len(view.records),
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["produce"]:
        asyncio.run(produce(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    else:
        mode = os.environ.get("BENCH_RT_MODE", "rate")
        modes = {
            "rate": rate_main,
            "scheduled": functools.partial(rate_main, scheduled=True),
            "extras": extras_main,
            "memory": memory_main,
        }
        prefix = f"bench{mode}{uuid.uuid4().hex[:8]}."
        try:
            asyncio.run(modes[mode](prefix))
        finally:
            drop_topics(BOOTSTRAP, prefix)
