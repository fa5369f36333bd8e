"""A private Kafka broker and PostgreSQL cluster that fault tests may stop and restart.

The shared broker (9092) and cluster (55432) serve every other test and engineer, so they are
never touched: ``scripts/kafka.sh`` and ``scripts/postgres.sh`` run second instances from a
temporary folder on free ports (``KAFKA_HOME_DIR`` / ``PG_HOME_DIR``), exactly as ``make test``
runs the shared ones.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Private:
    """One of the launch scripts, pointed at a private home and ports."""

    script: str
    env: dict[str, str] = field(default_factory=dict)

    def _popen(self, action: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(ROOT / "scripts" / self.script), action],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def run(self, action: str, timeout: float = 240) -> str:
        proc = self._popen(action)
        out, _ = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{self.script} {action} failed ({proc.returncode}):\n{out}")
        return out

    def restart(self) -> None:
        self.run("stop")
        self.run("start")


@dataclass
class PrivateInfra:
    home: Path
    kafka: Private
    postgres: Private
    kafka_bootstrap: str
    database_url: str

    @classmethod
    def create(cls) -> PrivateInfra:
        # 0755: as root, the cluster runs as the postgres user, which must reach its folder.
        home = Path(tempfile.mkdtemp(prefix="oc-faults-", dir="/tmp"))
        home.chmod(0o755)
        base = {
            k: v
            for k, v in os.environ.items()
            if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")
            and not k.endswith("_DATABASE_URL")
        }
        kafka_port, pg_port = free_port(), free_port()
        kafka = Private(
            "kafka.sh",
            {
                **base,
                "KAFKA_HOME_DIR": str(home / "kafka"),
                "KAFKA_PORT": str(kafka_port),
                "KAFKA_CONTROLLER_PORT": str(free_port()),
                "KAFKA_HEAP": "512m",
                "KAFKA_NUM_PARTITIONS": "3",
            },
        )
        postgres = Private(
            "postgres.sh",
            {**base, "PG_HOME_DIR": str(home / "pg"), "PGPORT_OPTICALL": str(pg_port)},
        )
        return cls(
            home=home,
            kafka=kafka,
            postgres=postgres,
            kafka_bootstrap=f"127.0.0.1:{kafka_port}",
            database_url=f"postgresql+psycopg2://opticall:opticall@127.0.0.1:{pg_port}/opticall_test",
        )

    def start(self) -> None:
        """Both at once: the broker's JVM start dominates, the cluster fits inside it."""
        procs = {
            name: p._popen("start") for name, p in (("kafka", self.kafka), ("pg", self.postgres))
        }
        failures = []
        for name, proc in procs.items():
            out, _ = proc.communicate(timeout=300)
            if proc.returncode != 0:
                failures.append(f"{name}: {out}")
        if failures:
            self.stop()
            raise RuntimeError("private infrastructure did not start:\n" + "\n".join(failures))

    def stop(self) -> None:
        for p in (self.kafka, self.postgres):
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                p.run("stop", timeout=60)
        shutil.rmtree(self.home, ignore_errors=True)
