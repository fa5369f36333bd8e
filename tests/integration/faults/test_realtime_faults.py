"""Realtime under faults: Kafka restarted mid-stream, then the realtime process SIGKILLed.

A stream of agent events from many agents (10% of it resent duplicates, shuffled so events
arrive late and out of order) is published to the private broker in batches of 1,000, as an
ACD connector does. After a third of it the broker is stopped and started again; the publisher
retries a failed batch (a duplicate changes nothing). While the broker is down an ACD posting
through the gateway must get a prompt 503 (retry), not a hang. The realtime state must end
exactly as the fold of the stream. Then 10% more events are published and realtime is SIGKILLed
while it folds them: the restarted instance must reach the fold of everything.

Issue 10's size, 50,000 events, is the default (about 45 s for the first test on 2 idle
cores); ``OPTICALL_FAULT_EVENTS`` scales it (e.g. 20000 on a crowded machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
import uuid
from datetime import timedelta

import httpx
import orjson
import pytest

from opticall_common import topics
from opticall_common.events import AgentEvent
from opticall_common.kafka import EventPublisher
from tests.integration.faults.infra import PrivateInfra
from tests.integration.faults.streams import (
    body,
    eventually,
    fold,
    messy_stream,
    now,
    realtime_view,
)
from tests.integration.suite import Suite

pytestmark = pytest.mark.timeout(600)

EVENTS = int(os.environ.get("OPTICALL_FAULT_EVENTS", "50000"))
PER_AGENT = 90
AGENTS = EVENTS // 100
RUN = uuid.uuid4().hex[:6]
QUEUE = f"q-{RUN}"
BATCH = 1_000
JSON = {"Content-Type": "application/json"}
FIRST = messy_stream(
    RUN, AGENTS, PER_AGENT, EVENTS - AGENTS * PER_AGENT, start=now() - timedelta(hours=2)
)
SECOND = messy_stream(RUN, AGENTS, 9, AGENTS, start=now() - timedelta(minutes=30))


async def publish_until_acked(bootstrap: str, prefix: str, events: list[AgentEvent]) -> int:
    """Publish one batch, retrying with a fresh producer until Kafka acknowledges all of it."""
    attempts = 0
    deadline = time.monotonic() + 240
    while True:
        attempts += 1
        pub = EventPublisher(bootstrap, "faults-acd", prefix, stall_seconds=5)
        try:
            await pub.start()
            await pub.publish_many(topics.AGENT_EVENTS, [(e.agent_id, e) for e in events])
            return attempts
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1)
        finally:
            with contextlib.suppress(Exception):  # a producer that never started
                await pub.stop()


class Publisher(threading.Thread):
    """Publishes ``events`` in batches; pauses once at ``pause_at`` until told to go on."""

    def __init__(self, bootstrap: str, prefix: str, events: list[AgentEvent], pause_at: int):
        super().__init__(daemon=True)
        self.bootstrap, self.prefix, self.events, self.pause_at = (
            bootstrap,
            prefix,
            events,
            pause_at,
        )
        self.paused = threading.Event()
        self.go_on = threading.Event()
        self.retried = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for i in range(0, len(self.events), BATCH):
                if i == self.pause_at:
                    self.paused.set()
                    self.go_on.wait(120)
                batch = self.events[i : i + BATCH]
                self.retried += (
                    asyncio.run(publish_until_acked(self.bootstrap, self.prefix, batch)) - 1
                )
        except BaseException as exc:
            self.error = exc


def test_kafka_restarted_mid_stream_the_state_is_the_fold(
    fault_suite: Suite, infra: PrivateInfra, admin: httpx.Client
) -> None:
    assert len(FIRST) == EVENTS
    acd = fault_suite.user_token("acd")
    pause_at = (EVENTS // 3) // BATCH * BATCH
    publisher = Publisher(infra.kafka_bootstrap, fault_suite.topic_prefix, FIRST, pause_at)
    publisher.start()
    assert publisher.paused.wait(180), publisher.error
    infra.kafka.run("stop")
    publisher.go_on.set()  # the rest of the stream meets a dead broker, then a restarted one
    # An ACD posting through the gateway meanwhile is told promptly to retry.
    probe = FIRST[pause_at : pause_at + BATCH]
    with fault_suite.client(acd) as client:
        down = client.post("/events", content=orjson.dumps(body(probe)), headers=JSON)
        assert down.status_code == 503, down.text
        infra.kafka.run("start")
        publisher.join(300)
        assert not publisher.is_alive() and publisher.error is None, publisher.error
        assert publisher.retried >= 1  # some batch did meet the dead broker
        up = client.post("/events", content=orjson.dumps(body(probe)), headers=JSON)
        assert up.status_code == 202, up.text
    want = fold(FIRST)
    assert len(want) == AGENTS
    eventually(lambda: realtime_view(admin, QUEUE), lambda got: got == want, timeout=300)


def test_realtime_sigkilled_mid_fold_recovers_the_same_state(
    fault_suite: Suite, infra: PrivateInfra, admin: httpx.Client
) -> None:
    want_before = fold(FIRST)
    if realtime_view(admin, QUEUE) != want_before:
        pytest.fail("the Kafka-restart test did not leave the folded state this test starts from")
    asyncio.run(publish_until_acked(infra.kafka_bootstrap, fault_suite.topic_prefix, SECOND))
    fault_suite.stack.stop("realtime", sig=signal.SIGKILL)  # while it folds SECOND
    assert fault_suite.stack.procs["realtime"].returncode == -signal.SIGKILL
    fault_suite.start_service("realtime")
    want = fold(FIRST + SECOND)
    assert want != want_before
    eventually(lambda: realtime_view(admin, QUEUE), lambda got: got == want, timeout=240)
