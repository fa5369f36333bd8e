"""Another gateway process in front of the running suite's services, with settings of its own
(short timeouts, several workers...), on free ports."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests.integration.suite import Suite

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Gateway:
    url: str
    metrics_url: str
    port: int
    proc: subprocess.Popen[bytes]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def extra_gateway(suite: Suite, log_dir: Path, **settings: str) -> Iterator[Gateway]:
    """``python -m opticall_gateway`` with the suite's environment plus ``settings``
    (``GATEWAY_*`` variables), healthy before it is yielded, stopped after."""
    import devstack  # registered by tests/conftest.py (scripts/ is not a package)

    port, metrics = _free_port(), _free_port()
    env = devstack.service_env(suite.stack.ports, suite.env)
    env.update({"GATEWAY_PORT": str(port), "GATEWAY_METRICS_PORT": str(metrics), **settings})
    log = (log_dir / f"gateway-{port}.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "opticall_gateway"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (log_dir / f"gateway-{port}.log").read_text()[-3000:]
            with suppress(OSError), urllib.request.urlopen(url + "/readyz", timeout=2) as resp:
                if resp.status == 200:
                    break
            assert time.monotonic() < deadline, "the extra gateway did not get ready"
            time.sleep(0.2)
        yield Gateway(url, f"http://127.0.0.1:{metrics}/metrics", port, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
