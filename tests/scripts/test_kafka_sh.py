"""scripts/kafka.sh on a private broker (own home dir and ports; the shared one is untouched).

A pid file left by an earlier run must not make ``start`` report a starting broker as exited,
and ``reset`` stops the broker and deletes its data.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.faults.infra import Private, free_port

pytestmark = pytest.mark.integration


def gone(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_start_ignores_a_stale_pid_file_and_reset_wipes_data(tmp_path: Path) -> None:
    home = tmp_path / "kafka"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    kafka = Private(
        "kafka.sh",
        {
            **env,
            "KAFKA_HOME_DIR": str(home),
            "KAFKA_PORT": str(free_port()),
            "KAFKA_CONTROLLER_PORT": str(free_port()),
            "KAFKA_HEAP": "384m",
            "KAFKA_NUM_PARTITIONS": "1",
        },
    )
    dead = subprocess.Popen(["true"])
    dead.wait()
    (home / "broker.pid").write_text(f"{dead.pid}\n")
    try:
        kafka.run("start")
        pid = int((home / "broker.pid").read_text())
        assert pid != dead.pid
        assert b"kafka.Kafka" in Path(f"/proc/{pid}/cmdline").read_bytes()
        assert "running" in kafka.run("status")
        assert (home / "data" / "meta.properties").exists()

        out = kafka.run("reset")
        assert "stopped" in out, out
        assert gone(pid)
        assert not (home / "data").exists()
        assert not (home / "broker.pid").exists()
    finally:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            kafka.run("stop", timeout=60)
