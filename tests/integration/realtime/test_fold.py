"""Folding through the whole suite: ingestion, order independence, dead letters, restart."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import orjson

from opticall_common import topics
from opticall_common.events import AgentEvent
from opticall_realtime.record import AgentRecord, fold_event
from tests.integration.realtime.conftest import (
    agents_by_id,
    eventually,
    publish,
    publish_raw,
    restart_realtime,
)
from tests.integration.suite import Suite

STATES = ["available", "on_call", "after_call_work", "break", "lunch", "not_ready", "meeting"]


def messy_stream(run: str, agents: int, per_agent: int) -> list[AgentEvent]:
    rng = random.Random(run)
    base = datetime.now(UTC) - timedelta(hours=1)
    events = []
    for a in range(agents):
        previous = None
        for i in range(per_agent):
            state = rng.choice([s for s in STATES if s != previous])
            previous = state
            events.append(
                AgentEvent(
                    event_id=uuid.uuid4().hex,
                    agent_id=f"fold-{run}-{a}",
                    state=state,
                    timestamp=base + timedelta(seconds=i * 7 + rng.random()),
                    queue=f"q-{run}",
                    source="it",
                )
            )
    messy = events + rng.sample(events, len(events) // 4)  # duplicates
    rng.shuffle(messy)  # late and out of order
    return messy


def test_final_state_is_the_fold_of_a_shuffled_duplicated_stream(
    suite: Suite, kafka_bootstrap: str, admin: httpx.Client, unique: str
) -> None:
    stream = messy_stream(unique, agents=12, per_agent=25)
    expected: dict[str, AgentRecord] = {}
    for ev in sorted(stream, key=lambda e: (e.timestamp, e.event_id)):
        new = fold_event(expected.get(ev.agent_id), ev)
        if new is not None:
            expected[ev.agent_id] = new
    # Half straight to Kafka, half through POST /events (gateway -> realtime -> Kafka).
    half = len(stream) // 2
    publish(
        kafka_bootstrap,
        suite.topic_prefix,
        topics.AGENT_EVENTS,
        [(e.agent_id, e) for e in stream[:half]],
    )
    acd = suite.user_token("acd")
    with suite.client(acd) as client:
        body = [e.model_dump(mode="json") for e in stream[half:]]
        resp = client.post(
            "/events", content=orjson.dumps(body), headers={"Content-Type": "application/json"}
        )
    assert resp.status_code == 202, resp.text
    assert resp.json() == {"accepted": len(stream) - half}

    want = {aid: (r.state, r.event_id) for aid, r in expected.items()}

    def current() -> dict[str, tuple[str, str]]:
        got = agents_by_id(admin, queue=f"q-{unique}")
        return {aid: (a["state"], a["last_event_id"]) for aid, a in got.items()}

    eventually(current, lambda got: got == want)


def test_list_with_a_bad_item_is_refused_whole(
    suite: Suite, admin: httpx.Client, unique: str
) -> None:
    now = datetime.now(UTC).isoformat()
    good = {"agent_id": f"refused-{unique}", "state": "available", "timestamp": now}
    resp = admin.post("/events", json=[good, {**good, "state": "sleeping"}])
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["errors"][0]["index"] == 1
    supervisor = suite.user_token("supervisor")
    with suite.client(supervisor) as client:
        assert client.post("/events", json=good).status_code == 403
    assert f"refused-{unique}" not in agents_by_id(admin)


def test_malformed_record_goes_to_the_dlq_and_the_consumer_goes_on(
    suite: Suite, kafka_bootstrap: str, admin: httpx.Client, unique: str
) -> None:
    topic = topics.topic(topics.AGENT_EVENTS, suite.topic_prefix)
    good = AgentEvent(agent_id=f"after-dlq-{unique}", state="on_call", timestamp=datetime.now(UTC))
    bad_key = f"bad-{unique}".encode()
    publish_raw(
        kafka_bootstrap,
        topic,
        [
            (bad_key, b"{not json"),
            (bad_key, b'{"agent_id": "x", "state": "flying"}'),
            (good.agent_id.encode(), good.model_dump_json().encode()),
        ],
    )
    eventually(
        lambda: agents_by_id(admin).get(good.agent_id, {}).get("state"), lambda s: s == "on_call"
    )

    async def dead_letters() -> list[dict[str, object]]:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(
            topics.dlq(topic),
            bootstrap_servers=kafka_bootstrap,
            auto_offset_reset="earliest",
            group_id=None,
        )
        await consumer.start()
        try:
            batches = await consumer.getmany(timeout_ms=3000)
            return [
                orjson.loads(r.value) for rs in batches.values() for r in rs if r.key == bad_key
            ]
        finally:
            await consumer.stop()

    letters = eventually(lambda: asyncio.run(dead_letters()), lambda got: len(got) == 2)
    assert {letter["value"] for letter in letters} == {
        "{not json",
        '{"agent_id": "x", "state": "flying"}',
    }
    metrics = httpx.get(suite.stack.url("realtime") + "/metrics", timeout=10).text
    assert f'opticall_dlq_records_total{{topic="{topics.AGENT_EVENTS}"}}' in metrics
    # The live-view gauges count the agent folded above.
    gauge = 'opticall_realtime_agents_by_state{state="on_call"} '
    (line,) = [ln for ln in metrics.splitlines() if ln.startswith(gauge)]
    assert float(line.split()[-1]) >= 1


def test_a_restarted_instance_recovers_the_same_state_from_kafka(
    suite: Suite, kafka_bootstrap: str, admin: httpx.Client, unique: str
) -> None:
    # A burst per agent, sent together: the fold coalesces each agent's events of a fetched
    # batch into one changelog record, which must still recover the exact final state.
    t0 = datetime.now(UTC) - timedelta(minutes=5)
    bursts = [
        AgentEvent(
            agent_id=f"restart-{unique}-{i}",
            state=STATES[(i + j) % len(STATES)],
            timestamp=t0 + timedelta(seconds=j),
            queue=f"r-{unique}",
        )
        for i in range(4)
        for j in range(30)
    ]
    events = [
        AgentEvent(
            agent_id=f"restart-{unique}-{i}",
            state=s,
            timestamp=datetime.now(UTC),
            queue=f"r-{unique}",
        )
        for i, s in enumerate(["on_call", "break", "lunch", "available"])
    ]
    publish(
        kafka_bootstrap,
        suite.topic_prefix,
        topics.AGENT_EVENTS,
        [(e.agent_id, e) for e in bursts + events],
    )
    before = eventually(
        lambda: agents_by_id(admin, queue=f"r-{unique}"),
        lambda got: {a["last_event_id"] for a in got.values()} == {e.event_id for e in events},
    )
    everyone_before = agents_by_id(admin)
    restart_realtime(suite)
    after = agents_by_id(admin)
    assert {k: after[k] for k in before} == before
    assert set(everyone_before) <= set(after)
    # And the restarted instance still folds new events for a recovered agent.
    nxt = AgentEvent(
        agent_id=events[0].agent_id, state="after_call_work", timestamp=datetime.now(UTC)
    )
    publish(kafka_bootstrap, suite.topic_prefix, topics.AGENT_EVENTS, [(nxt.agent_id, nxt)])
    eventually(lambda: agents_by_id(admin)[nxt.agent_id]["state"], lambda s: s == "after_call_work")
