"""The whole suite as ``make run`` starts it: time to a healthy gateway, idle memory per process.

Two DESIGN.md budgets, each a fixed number rather than a ratio (the rows say ``budget``):
- ``make run`` on a warm machine: the gateway healthy within 30 s. The first start of this run
  warms the machine (imports compiled, SQLite databases migrated, the broker's topics made);
  the second, on the same data, is timed from the first process spawned to the gateway's
  ``/healthz`` answering, as ``scripts/devstack.py`` (``make run``) starts it.
- idle memory: every service process at most 150 MB RSS after the suite has been idle for a
  while, forecasting's (which loads Prophet) and its model workers at most 300 MB.

Local mode as ``make run`` has it: SQLite databases, development settings, a real broker
(``KAFKA_BOOTSTRAP_SERVERS``), here with a topic prefix of its own and free ports.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "scripts")]

import devstack  # noqa: E402
from _util import drop_topics, emit, free_port  # noqa: E402

IDLE_SECONDS = float(os.environ.get("BENCH_SUITE_IDLE_SECONDS", "20"))
START_BUDGET_S = 30.0
RSS_BUDGET_MB = {"forecasting": 300.0}
DEFAULT_RSS_BUDGET_MB = 150.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (forecasting's model workers, uvicorn's workers)."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        path = task / "children"
        if path.exists():
            out += [int(c) for c in path.read_text().split()]
    return out


def local_env(data: Path, prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update(
        OPTICALL_ENV="development",
        LOG_JSON="false",
        KAFKA_TOPIC_PREFIX=prefix,
        AUTH_KEYS_DIR=str(data / "keys"),
    )
    for svc in ("auth", "scheduling", "forecasting", "realtime"):
        env[f"{svc.upper()}_DATABASE_URL"] = f"sqlite:///{data}/{svc}.db"
    return env


def start(env: dict[str, str], logs: Path) -> tuple[devstack.Stack, float]:
    ports = {svc: free_port() for svc in devstack.SERVICES}
    began = time.monotonic()
    stack = devstack.start_stack(ports=ports, env=env, log_dir=logs)
    return stack, time.monotonic() - began


def main() -> int:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    with tempfile.TemporaryDirectory(prefix="opticall-bench-suite-") as tmp:
        data = Path(tmp)
        env = local_env(data, prefix)
        try:
            first, cold_s = start(env, data / "logs-1")
            first.stop()
            stack, warm_s = start(env, data / "logs-2")
            try:
                print(f"first start {cold_s:.1f} s, warm start {warm_s:.1f} s", file=sys.stderr)
                emit("suite", "make run (warm): gateway healthy, s", warm_s, START_BUDGET_S,
                     "DESIGN.md budget", f"<= {START_BUDGET_S:g}", warm_s <= START_BUDGET_S,
                     kind="budget")  # fmt: skip
                time.sleep(IDLE_SECONDS)
                for name, proc in stack.procs.items():
                    budget = RSS_BUDGET_MB.get(name, DEFAULT_RSS_BUDGET_MB)
                    pids = [("", proc.pid)] + [(" worker", c) for c in children(proc.pid)]
                    for label, pid in pids:
                        mb = rss_mb(pid)
                        emit("suite", f"idle RSS MB: {name}{label} (pid {pid})", mb, budget,
                             "DESIGN.md budget", f"<= {budget:g}", mb <= budget,
                             kind="budget")  # fmt: skip
            finally:
                stack.stop()
        finally:
            drop_topics(bootstrap, prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
