"""ACD simulator: realistic agent days published as canonical agent events.

``python -m opticall_realtime.simulator --agents 200 --rate 500 --duration 60 [--via kafka|http]``

Each agent lives a day: login, calls (log-normal handle times around 5 minutes) each followed
by after-call work, idle gaps, two breaks, lunch, the odd not-ready spell, logout. Agents'
transitions are emitted in the order of their simulated clocks (an agent on a long call emits
less often), paced to ``--rate`` events per second and stamped with the wall-clock time of
emission, so the live view looks like a contact center running at high speed.
``--via kafka`` publishes to ``agent-events`` (honouring ``KAFKA_TOPIC_PREFIX``); ``--via http``
posts batches to ``POST /events`` at ``--url`` with ``--token`` (role acd or admin).
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import random
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import orjson
from tqdm import tqdm

from opticall_common import topics
from opticall_common.events import AgentEvent, AgentState
from opticall_common.kafka import EventPublisher
from opticall_common.settings import ServiceSettings

Step = tuple[float, AgentState, str | None]  # (simulated seconds in state, state, reason)
DAY = 8 * 3600.0


def agent_day(rng: random.Random) -> Iterator[Step]:
    """One agent's day as (duration, state, reason) steps; the first is the login."""
    t = 0.0
    planned = [(2 * 3600, AgentState.break_, 900), (4 * 3600, AgentState.lunch, 1800)]
    planned.append((6 * 3600, AgentState.break_, 900))
    while t < DAY:
        idle = rng.expovariate(1 / 45)
        yield idle, AgentState.available, None
        t += idle
        if planned and t >= planned[0][0]:
            _, state, length = planned.pop(0)
            yield length, state, state.value
            t += length
            continue
        if rng.random() < 0.03:
            spell = rng.uniform(120, 600)
            yield spell, AgentState.not_ready, rng.choice(["email", "coaching", "system issue"])
            t += spell
            continue
        handle = rng.lognormvariate(5.5, 0.5)  # median ~245 s
        yield handle, AgentState.on_call, None
        wrap = rng.uniform(10, 60)
        yield wrap, AgentState.after_call_work, None
        t += handle + wrap
    yield 0.0, AgentState.logged_out, None


class Simulation:
    def __init__(self, agents: int, queues: list[str], seed: int, prefix: str) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - a simulation, not cryptography
        self.days = {
            f"{prefix}{i:05d}": agent_day(random.Random(seed + i))  # noqa: S311 - a simulation
            for i in range(agents)
        }
        self.queue_of = {aid: queues[i % len(queues)] for i, aid in enumerate(self.days)}
        # Stagger logins over the first simulated minutes.
        self.heap = [(self.rng.uniform(0, 600), aid) for aid in self.days]
        heapq.heapify(self.heap)

    def next_event(self) -> AgentEvent | None:
        while self.heap:
            clock, aid = heapq.heappop(self.heap)
            step = next(self.days[aid], None)
            if step is None:
                continue
            duration, state, reason = step
            heapq.heappush(self.heap, (clock + max(duration, 1.0), aid))
            return AgentEvent(
                event_id=uuid.uuid4().hex,
                agent_id=aid,
                state=state,
                timestamp=datetime.now(UTC),
                source="simulator",
                queue=self.queue_of[aid],
                reason=reason,
            )
        return None


async def run(args: argparse.Namespace) -> dict[str, object]:
    sim = Simulation(args.agents, args.queues.split(","), args.seed, args.agent_prefix)
    total = int(args.rate * args.duration)
    tick = 0.02
    publisher: EventPublisher | None = None
    http: httpx.AsyncClient | None = None
    if args.via == "kafka":
        settings = ServiceSettings()
        publisher = EventPublisher(
            settings.kafka_bootstrap_servers, "opticall-simulator", settings.kafka_topic_prefix
        )
        await publisher.start()
    else:
        headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
        http = httpx.AsyncClient(base_url=args.url, headers=headers, timeout=30)
    sent = 0
    started = time.perf_counter()
    try:
        with tqdm(total=total, unit="ev", disable=args.quiet) as bar:
            while sent < total:
                # Everything due by now: a slow send is caught up by a bigger next batch.
                due = int((time.perf_counter() - started + tick) * args.rate) - sent
                batch = []
                for _ in range(max(1, min(due, total - sent, 2000))):
                    ev = sim.next_event()
                    if ev is None:
                        break
                    batch.append(ev)
                if not batch:
                    break  # every agent has logged out
                if publisher is not None:
                    await publisher.publish_many(
                        topics.AGENT_EVENTS, [(e.agent_id, e) for e in batch]
                    )
                elif http is not None:
                    body = orjson.dumps([e.model_dump(mode="json") for e in batch])
                    resp = await http.post(
                        "/events", content=body, headers={"Content-Type": "application/json"}
                    )
                    resp.raise_for_status()
                sent += len(batch)
                bar.update(len(batch))
                # Pace against the schedule, not the last tick, so slow sends catch up.
                ahead = started + sent / args.rate - time.perf_counter()
                if ahead > 0:
                    await asyncio.sleep(ahead)
    finally:
        if publisher is not None:
            await publisher.stop()
        if http is not None:
            await http.aclose()
    elapsed = time.perf_counter() - started
    return {"sent": sent, "seconds": round(elapsed, 3), "rate": round(sent / elapsed, 1)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m opticall_realtime.simulator", description=__doc__)
    p.add_argument("--agents", type=int, default=100)
    p.add_argument("--rate", type=float, default=200.0, help="events per second")
    p.add_argument("--duration", type=float, default=60.0, help="seconds")
    p.add_argument("--via", choices=["kafka", "http"], default="kafka")
    p.add_argument("--url", default="http://127.0.0.1:5000", help="gateway or service (http)")
    p.add_argument("--token", default=None, help="bearer token with role acd or admin (http)")
    p.add_argument("--queues", default="sales,support,billing")
    p.add_argument("--agent-prefix", default="sim-")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.agents < 1 or args.rate <= 0 or args.duration <= 0:
        p.error("--agents, --rate and --duration must be positive")
    return args


def main(argv: list[str] | None = None) -> None:
    result = asyncio.run(run(parse_args(argv)))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
