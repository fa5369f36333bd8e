"""Scheduling benchmark: the real service process against bare SQL on the same PostgreSQL.

* ``POST /shifts`` per second (auth, validation, agent and overlap checks, insert, outbox row,
  one transaction per shift, with the relay publishing to Kafka) against a bare SQLAlchemy
  INSERT of the same rows, one transaction each, at the same concurrency, into a second
  database with the same schema.
* ``GET /shifts`` p95 latency with 100,000 shifts stored (agent windows and whole-floor pages
  of 100) against the same SQL statement (``shifts_query``) run bare on the same data.

The two sides are interleaved, so a slow spell of a shared machine (other processes, the
broker, autovacuum) falls on both rather than on whichever side ran then: the POSTs run in
``BENCH_SCHEDULING_ROUNDS`` rounds, each timing a slice of rows on both sides in alternating
order, and the figure is the median round of each side; each GET query is timed on both sides
back to back, again in alternating order.

Needs ``DATABASE_URL`` (PostgreSQL; ``make bench`` sets it) and Kafka at
``KAFKA_BOOTSTRAP_SERVERS``. Prints the JSON lines of bench/run.py's contract on stdout.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import Connection, Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from opticall_common.db import run_migrations
from opticall_common.testing import TokenFactory
from opticall_scheduling.database import MIGRATIONS, VERSION_TABLE
from opticall_scheduling.models import Agent, Shift
from opticall_scheduling.shifts.service import shifts_query

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for the shared helpers
import _util
from _util import drop_topics, free_port, serve_auth, stop, wait_ready

POSTS = int(os.environ.get("BENCH_SCHEDULING_POSTS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_SCHEDULING_CONCURRENCY", "16"))
STORED = int(os.environ.get("BENCH_SCHEDULING_STORED", "100000"))
QUERIES = int(os.environ.get("BENCH_SCHEDULING_QUERIES", "400"))
ROUNDS = int(os.environ.get("BENCH_SCHEDULING_ROUNDS", "8"))
AGENTS = 500
emit = partial(_util.emit, "scheduling")
DAY0 = datetime(2027, 1, 1, tzinfo=UTC)


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def shift_rows(count: int, agents: int, first_day: int = 0) -> list[dict[str, Any]]:
    """``count`` non-overlapping 8-hour shifts, round-robin over agents, day by day."""
    rows = []
    for i in range(count):
        start = DAY0 + timedelta(days=first_day + i // agents, hours=8)
        rows.append(
            {"agent_id": f"a{i % agents:04d}", "start": start, "end": start + timedelta(hours=8)}
        )
    return rows


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


# -- POST /shifts -------------------------------------------------------------------------
async def post_all(base: str, token: str, rows: list[dict[str, Any]]) -> float:
    queue = list(reversed(rows))
    failures: list[str] = []
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(base, connector=connector, headers=headers) as session:

        async def worker() -> None:
            while queue:
                row = queue.pop()
                body = {**row, "start": row["start"].isoformat(), "end": row["end"].isoformat()}
                async with session.post("/shifts", json=body) as resp:
                    await resp.read()
                    if resp.status != 201:
                        failures.append(f"{resp.status} {await resp.text()}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        took = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} POST /shifts failed, e.g. {failures[0]}")
    return len(rows) / took


def bare_inserts(engine: Engine, rows: list[dict[str, Any]]) -> float:
    def one(row: dict[str, Any]) -> None:
        with engine.begin() as conn:
            conn.execute(
                insert(Shift).values(
                    id=uuid.uuid4().hex,
                    agent_id=row["agent_id"],
                    start_at=row["start"],
                    end_at=row["end"],
                    activity="work",
                    activities=[],
                    created_at=datetime.now(UTC),
                    updated_at=datetime.now(UTC),
                )
            )

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(one, rows))
    return len(rows) / (time.perf_counter() - started)


# -- GET /shifts ----------------------------------------------------------------------------
def bulk_load(engine: Engine, count: int, first_day: int) -> None:
    rows = shift_rows(count, AGENTS, first_day)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(
                insert(Shift),
                [
                    {
                        "id": uuid.uuid4().hex,
                        "agent_id": r["agent_id"],
                        "start_at": r["start"],
                        "end_at": r["end"],
                        "activity": "work",
                        "queue": "sales" if j % 2 else "support",
                        "activities": [],
                        "created_at": now,
                        "updated_at": now,
                    }
                    for j, r in enumerate(rows[i : i + 5000])
                ],
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE shifts"))


def queries(days: int, count: int) -> list[dict[str, str]]:
    rng = random.Random(7)
    out = []
    for i in range(count):
        start = DAY0 + timedelta(days=rng.randrange(days - 7))
        window = {"start": start.isoformat(), "end": (start + timedelta(days=7)).isoformat()}
        if i % 2:
            window["agent_id"] = f"a{rng.randrange(AGENTS):04d}"
        out.append({**window, "limit": "100"})
    return out


def raw_latency(conn: Connection, p: dict[str, str]) -> float:
    # Exactly the statement the service runs for this request (page size + 1).
    query = shifts_query(
        agent_id=p.get("agent_id"),
        start=datetime.fromisoformat(p["start"]),
        end=datetime.fromisoformat(p["end"]),
        limit=int(p["limit"]) + 1,
    )
    t0 = time.perf_counter()
    conn.execute(query).all()
    return time.perf_counter() - t0


async def api_latency(session: aiohttp.ClientSession, p: dict[str, str]) -> float:
    t0 = time.perf_counter()
    async with session.get("/shifts", params=p) as resp:
        await resp.read()
        assert resp.status == 200, await resp.text()
    return time.perf_counter() - t0


async def interleaved_latencies(
    base: str, token: str, engine: Engine, params: list[dict[str, str]]
) -> tuple[list[float], list[float]]:
    """(service, raw SQL) latency of every query, each query timed on both back to back."""
    api: list[float] = []
    raw: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(base, headers=headers) as session:
        with engine.connect() as conn:
            for i, p in enumerate(params):
                if i % 2:
                    raw.append(raw_latency(conn, p))
                    api.append(await api_latency(session, p))
                else:
                    api.append(await api_latency(session, p))
                    raw.append(raw_latency(conn, p))
    return api, raw


def interleaved_posts(
    base: str, token: str, engine: Engine, rows: list[dict[str, Any]], rounds: int
) -> tuple[float, float]:
    """(service, bare INSERT) rows per second: the median of ``rounds`` rounds, each timing
    its own slice of rows on both sides, the side going first alternating by round."""
    service: list[float] = []
    bare: list[float] = []
    size = -(-len(rows) // rounds)
    for r in range(rounds):
        chunk = rows[r * size : (r + 1) * size]
        if not chunk:
            break
        for side in ("service", "bare") if r % 2 == 0 else ("bare", "service"):
            if side == "service":
                service.append(asyncio.run(post_all(base, token, chunk)))
            else:
                bare.append(bare_inserts(engine, chunk))
        log(f"round {r + 1}: POST /shifts {service[-1]:.0f}/s, bare INSERT {bare[-1]:.0f}/s")
    return statistics.median(service), statistics.median(bare)


def main() -> int:
    base_url = os.environ.get("DATABASE_URL")
    if not base_url or not base_url.startswith("postgresql"):
        raise SystemExit("DATABASE_URL must point at PostgreSQL (make bench sets it)")
    run = uuid.uuid4().hex[:8]
    names = {"svc": f"bench_sched_{run}", "raw": f"bench_sched_raw_{run}"}
    admin = create_engine(make_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    urls = {
        k: make_url(base_url).set(database=v).render_as_string(hide_password=False)
        for k, v in names.items()
    }
    factory = TokenFactory()
    token = factory.token(sub="bench", roles=("admin",), ttl=3600)
    jwks = serve_auth(factory.jwks())
    port = free_port()
    prefix = f"bench{run}."
    env = {
        **os.environ,
        "OPTICALL_ENV": "test",
        "LOG_LEVEL": "WARNING",
        "SCHEDULING_DATABASE_URL": urls["svc"],
        "SCHEDULING_PORT": str(port),
        "JWKS_URL": f"http://127.0.0.1:{jwks.server_port}/",
        "KAFKA_TOPIC_PREFIX": prefix,
    }
    env.setdefault("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    proc = subprocess.Popen(
        [sys.executable, "-m", "opticall_scheduling"], env=env, stdout=sys.stderr, stderr=sys.stderr
    )
    base = f"http://127.0.0.1:{port}"
    engines = {k: create_engine(u, pool_size=CONCURRENCY) for k, u in urls.items()}
    try:
        run_migrations(MIGRATIONS, urls["raw"], VERSION_TABLE)
        wait_ready(f"{base}/readyz", timeout=90)
        agents = [{"agent_id": f"a{i:04d}", "name": f"Agent {i}"} for i in range(AGENTS)]
        now = datetime.now(UTC)
        for engine in engines.values():
            with engine.begin() as conn:
                conn.execute(
                    insert(Agent),
                    [
                        {
                            **a,
                            "queues": [],
                            "skills": [],
                            "timezone": "UTC",
                            "active": True,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for a in agents
                    ],
                )
        # Warm both sides (connections, caches) on rows outside the measured range.
        warm = shift_rows(200, AGENTS, first_day=-10)
        asyncio.run(post_all(base, token, warm))
        bare_inserts(engines["raw"], warm)

        rows = shift_rows(POSTS, AGENTS)
        service, baseline = interleaved_posts(base, token, engines["raw"], rows, ROUNDS)
        log(f"POST /shifts {service:.0f}/s, bare INSERT {baseline:.0f}/s (median of rounds)")
        emit(
            "POST /shifts per s",
            service,
            baseline,
            "bare SQLAlchemy INSERT per s",
            ">= 0.2",
            service / baseline >= 0.2,
        )

        days_used = -(-POSTS // AGENTS)
        extra = max(0, STORED - POSTS - len(warm))
        bulk_load(engines["svc"], extra, first_day=days_used)
        total_days = days_used + -(-extra // AGENTS)
        params = queries(total_days, QUERIES)
        asyncio.run(interleaved_latencies(base, token, engines["svc"], params[:50]))  # warm
        apis, raws = asyncio.run(interleaved_latencies(base, token, engines["svc"], params))
        api, raw = percentile(apis, 0.95) * 1000, percentile(raws, 0.95) * 1000
        log(f"GET /shifts p95 {api:.2f} ms, raw SQL p95 {raw:.2f} ms, {STORED} shifts stored")
        emit(
            f"GET /shifts p95 ms ({STORED // 1000}k shifts)",
            api,
            raw,
            "raw SQL query p95 ms",
            "<= 10 ms added",
            api - raw <= 10.0,
        )
    finally:
        stop(proc, timeout=15)
        drop_topics(env["KAFKA_BOOTSTRAP_SERVERS"], prefix)
        for engine in engines.values():
            engine.dispose()
        jwks.shutdown()
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
