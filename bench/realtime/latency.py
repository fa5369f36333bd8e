"""Event -> WebSocket latency at a steady rate, against the real service process.

Starts ``python -m opticall_realtime`` on a free port (fresh topic prefix, history off, JWKS
from a TokenFactory served here), connects one WebSocket client, produces
``BENCH_RT_RATE`` events/s (default 2,000) for ``BENCH_RT_SECONDS`` (default 15) over 1,000
agents, and matches each ``agent_state`` delta to its event's send time by event id.
The first seconds are warm-up and not counted. Prints one JSON object on stdout.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
import websockets
from aiokafka import AIOKafkaProducer

from opticall_common.events import AgentEvent
from opticall_common.testing import TokenFactory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for the shared helpers
from _util import drop_topics, free_port, serve_auth

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
RATE = float(os.environ.get("BENCH_RT_RATE", "2000"))
SECONDS = float(os.environ.get("BENCH_RT_SECONDS", "15"))
WARMUP = 3.0
STATES = ["available", "on_call", "after_call_work", "break", "not_ready"]


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("realtime service exited")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError("realtime service not healthy")


async def measure(port: int, token: str, prefix: str) -> list[float]:
    sent: dict[str, float] = {}
    latencies: list[float] = []
    counts: dict[str, int] = {}
    url = f"ws://127.0.0.1:{port}/realtime/ws?access_token={token}"
    async with websockets.connect(url, max_size=None) as ws:
        await ws.recv()  # snapshot

        async def receive() -> None:
            while True:
                msg = orjson.loads(await ws.recv())
                counts[msg.get("type", "?")] = counts.get(msg.get("type", "?"), 0) + 1
                if msg.get("type") != "agent_state":
                    continue
                at = sent.pop(msg["agent"]["last_event_id"], None)
                if at is not None and at >= started + WARMUP:
                    latencies.append(time.perf_counter() - at)

        producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, linger_ms=0, acks=1)
        await producer.start()
        # Warm-up: wait until the service folds at all (its consumer group has settled).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            probe = AgentEvent(agent_id="probe", state="available", timestamp=datetime.now(UTC))
            await producer.send_and_wait(
                f"{prefix}agent-events", probe.model_dump_json().encode(), key=b"probe"
            )
            try:
                while True:
                    msg = orjson.loads(await asyncio.wait_for(ws.recv(), 2))
                    if msg.get("agent", {}).get("last_event_id") == probe.event_id:
                        break
                break
            except TimeoutError:
                continue
        reader = asyncio.create_task(receive())
        started = time.perf_counter()
        n = 0
        try:
            while time.perf_counter() - started < SECONDS:
                due = int((time.perf_counter() - started) * RATE)
                while n < due:
                    ev = AgentEvent(
                        event_id=uuid.uuid4().hex,
                        agent_id=f"lat-{n % 1000:04d}",
                        state=STATES[(n // 1000) % len(STATES)],
                        timestamp=datetime.now(UTC),
                        queue="bench",
                    )
                    sent[ev.event_id] = time.perf_counter()
                    await producer.send(
                        f"{prefix}agent-events",
                        ev.model_dump_json().encode(),
                        key=ev.agent_id.encode(),
                    )
                    n += 1
                await asyncio.sleep(0.001)
            await asyncio.sleep(2)  # let the tail arrive
        finally:
            reader.cancel()
            await producer.stop()
    print(f"sent {n} events, received {counts}", file=sys.stderr)
    return latencies


def main() -> None:
    tf = TokenFactory()
    server = serve_auth(tf.jwks())
    jwks_port = server.server_address[1]
    port = free_port()
    prefix = f"benchlat{uuid.uuid4().hex[:6]}."
    env = {
        **os.environ,
        "OPTICALL_ENV": "test",
        "LOG_JSON": "true",
        "LOG_LEVEL": "WARNING",
        "KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP,
        "KAFKA_TOPIC_PREFIX": prefix,
        "JWKS_URL": f"http://127.0.0.1:{jwks_port}/jwks.json",
        "REALTIME_PORT": str(port),
        "REALTIME_HISTORY_ENABLED": "false",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "opticall_realtime"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=sys.stderr,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        lat = asyncio.run(measure(port, tf.token(roles=("supervisor",)), prefix))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        server.shutdown()
        drop_topics(BOOTSTRAP, prefix)
    lat.sort()
    p = statistics.quantiles(lat, n=100) if len(lat) > 100 else [float("nan")] * 99
    print(json.dumps({"rate": RATE, "samples": len(lat), "p50": p[49], "p99": p[98]}))


if __name__ == "__main__":
    main()
