"""Helpers shared by the bench/<area>/run.py scripts.

The scripts run as ``python bench/<area>/run.py`` (bench/run.py, ``make bench``), so bench/ is
not on sys.path by itself: each script puts it there before ``from _util import ...``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opticall_common import testing
from opticall_common.revocations import REVOCATIONS_PATH


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the OS picks it), for a process the bench starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_auth(jwks: dict[str, Any]) -> ThreadingHTTPServer:
    """Auth's documents that services poll, on a free port: the JWKS at any path, and an empty
    revocation list at ``/.well-known/revocations`` (a JWKS there fails the services' poll)."""
    keys = json.dumps(jwks).encode()
    revocations = json.dumps({"revocations": []}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = revocations if self.path == REVOCATIONS_PATH else keys
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


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
    """``opticall_common.testing.drop_topics``, saying on stderr what it deleted."""
    deleted = testing.drop_topics(bootstrap_servers, prefix)
    print(f"deleted {len(deleted)} topics with prefix {prefix}", file=sys.stderr)


def emit(
    benchmark: str,
    metric: str,
    value: float,
    baseline: float,
    name: str,
    target: str,
    ok: bool,
    *,
    kind: str = "baseline",
) -> None:
    """One JSON line of bench/run.py's contract on stdout; ``kind="budget"`` for a row held
    to a fixed number from DESIGN.md rather than to a baseline measured beside it."""
    line = {
        "kind": kind,
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
