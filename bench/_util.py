"""Helpers shared by the bench/<area>/run.py scripts.

The scripts run as ``python bench/<area>/run.py`` (bench/run.py, ``make bench``), so bench/ is
not on sys.path by itself: each script puts it there before ``from _util import ...``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from opticall_common.kafka import delete_topics_with_prefix


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the OS picks it), for a process the bench starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, timeout: float = 60, interval: float = 0.2) -> None:
    """Poll ``url`` until it answers 200; re-raise the last connection error after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(interval)


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def drop_topics(bootstrap_servers: str, prefix: str) -> None:
    """Best effort: delete the topics a bench made under its throw-away ``prefix`` (Faust's
    changelog/assignor topics included), so runs do not pile up topics in the developer's
    broker. A failure is reported on stderr, never fails the bench.

    In a thread of its own, so async benches can call it too."""
    try:
        with ThreadPoolExecutor(1) as pool:
            coro = delete_topics_with_prefix(bootstrap_servers, prefix)
            deleted = pool.submit(asyncio.run, coro).result(timeout=60)
        print(f"deleted {len(deleted)} topics with prefix {prefix}", file=sys.stderr)
    except Exception as exc:  # cleanup only
        print(f"warning: could not delete topics with prefix {prefix}: {exc}", file=sys.stderr)


def emit(
    benchmark: str, metric: str, value: float, baseline: float, name: str, target: str, ok: bool
) -> None:
    """One JSON line of bench/run.py's contract on stdout."""
    line = {
        "benchmark": benchmark,
        "metric": metric,
        "value": round(value, 3),
        "baseline": round(baseline, 3),
        "baseline_name": name,
        "ratio": round(value / baseline, 3) if baseline else None,
        "target": target,
        "ok": ok,
    }
    print(json.dumps(line), flush=True)
