"""The full view: every agent's record, on every instance, read from the ``agent-state`` topic.

Faust gives each instance only the partitions it owns. GET /realtime and the WebSockets must
show every agent, so each instance also reads the compacted ``agent-state`` topic (the Faust
table's changelog) from the beginning, with no consumer group, into ``AgentView``. Records
carry a per-agent ``seq``: a record is applied only when newer than what the view holds, so
the owner's own writes (applied locally at once, for latency) are not undone by their echo.

The partitions this instance owns are paused in the reader (``follow``): their records are
this instance's own writes, already in the view, and fetching them back cost about as much
CPU as folding them. When a partition is revoked it is resumed from where it was paused, so
the reader goes over those echoes (skipped by ``seq``) and then follows the new owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from opticall_realtime.hub import Hub
from opticall_realtime.record import AgentRecord

log = logging.getLogger(__name__)


class AgentView:
    def __init__(self, hub: Hub) -> None:
        self.records: dict[str, AgentRecord] = {}
        self.hub = hub

    def put(self, agent_id: str, rec: AgentRecord) -> None:
        self.put_many({agent_id: rec})

    def put_many(self, changed: Mapping[str, AgentRecord]) -> None:
        """Apply records newer (by ``seq``) than the view's, and push them to WebSockets."""
        records = self.records
        get = records.get
        publish = self.hub.publish if self.hub.clients else None  # the fold's usual case: none
        for agent_id, rec in changed.items():
            current = get(agent_id)
            if current is None or current.seq < rec.seq:
                records[agent_id] = rec
                if publish is not None:
                    publish(agent_id, rec)

    def get(self, agent_id: str) -> AgentRecord | None:
        return self.records.get(agent_id)


def peek_seq(value: bytes) -> int:
    """The ``seq`` of an encoded record (its last field), or -1 if it does not look like one."""
    try:
        return int(value[value.rindex(b",") + 1 : -1]) if value.endswith(b"]") else -1
    except ValueError:
        return -1


class ChangelogReader:
    """Reads the whole ``agent-state`` topic into the view, forever, with no consumer group."""

    def __init__(self, bootstrap_servers: str, topic: str, view: AgentView) -> None:
        self.topic = topic
        self.bootstrap_servers = bootstrap_servers
        self.view = view
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
            client_id="opticall-realtime-view",
        )
        self._task: asyncio.Task[None] | None = None
        self._targets: dict[TopicPartition, int] = {}
        self.caught_up = asyncio.Event()
        self.malformed = 0

    async def start(self) -> None:
        partitions = await self._partitions()
        await self.consumer.start()
        tps = [TopicPartition(self.topic, p) for p in partitions]
        self.consumer.assign(tps)
        await self.consumer.seek_to_beginning(*tps)
        self._targets = {tp: off for tp, off in (await self.consumer.end_offsets(tps)).items()}
        await self._check_caught_up()
        self._task = asyncio.create_task(self._run(), name="agent-state-reader")

    async def _partitions(self) -> list[int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers)
        await admin.start()
        try:
            deadline = time.monotonic() + 15
            while True:
                (desc,) = await admin.describe_topics([self.topic])
                found = sorted(p["partition"] for p in desc.get("partitions") or ())
                if found or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
        finally:
            await admin.close()
        if not found:
            raise RuntimeError(f"topic {self.topic} has no partitions")
        return found

    def follow(self, owned: set[int]) -> None:
        """Read every partition except ``owned`` (whose writes this instance makes itself)."""
        tps = self.consumer.assignment()
        self.consumer.pause(*(tp for tp in tps if tp.partition in owned))
        self.consumer.resume(*(tp for tp in tps if tp.partition not in owned))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.consumer.stop()

    async def wait_caught_up(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.caught_up.wait(), seconds)
        except TimeoutError:
            log.warning("agent view not caught up after %.0fs; serving what it has", seconds)
            return False
        return True

    async def _check_caught_up(self) -> None:
        if self.caught_up.is_set():
            return
        for tp, end in self._targets.items():
            if await self.consumer.position(tp) < end:
                return
        self.caught_up.set()
        log.info("agent view caught up: %d agents", len(self.view.records))

    async def _run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=200, max_records=5000)
            for records in batches.values():
                for record in records:
                    self._apply(record.key, record.value)
            await self._check_caught_up()

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        agent_id = key.decode(errors="replace")
        if value is None:
            self.view.records.pop(agent_id, None)
            return
        current = self.view.records.get(agent_id)
        if current is not None and current.seq >= peek_seq(value):
            return  # mostly the owner's own write coming back: skip decoding it
        try:
            rec = AgentRecord.decode(orjson.loads(value))
        except (ValueError, TypeError) as exc:
            # Only this service writes the topic; a bad record is logged, never fatal.
            self.malformed += 1
            log.warning("unreadable agent-state record for %s: %s", agent_id, exc)
            return
        self.view.put(agent_id, rec)
