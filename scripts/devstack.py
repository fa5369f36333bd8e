"""Start the five OptiCall services as local processes; used by ``make run`` and the tests.

Each service runs as its own uvicorn process (as in production), with logs in a folder.
``python scripts/devstack.py`` runs until Ctrl-C and then stops everything it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("auth", "scheduling", "forecasting", "realtime", "gateway")
DEFAULT_PORTS = {
    "gateway": 5000,
    "auth": 5001,
    "scheduling": 5002,
    "forecasting": 5003,
    "realtime": 5004,
}


@dataclass
class Stack:
    ports: dict[str, int]
    log_dir: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def stop(self, service: str | None = None, sig: int = signal.SIGTERM) -> None:
        names = [service] if service else list(self.procs)
        for name in names:
            proc = self.procs.get(name)
            if proc and proc.poll() is None:
                proc.send_signal(sig)
        for name in names:
            proc = self.procs.get(name)
            if proc is None:
                continue
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def log_tail(self, service: str, lines: int = 40) -> str:
        path = self.log_dir / f"{service}.log"
        return (
            "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            if path.exists()
            else ""
        )


def service_env(ports: dict[str, int], base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    for name, port in ports.items():
        env[f"{name.upper()}_PORT"] = str(port)
        env.setdefault(f"{name.upper()}_HOST", "127.0.0.1")
        if name != "gateway":
            env[f"GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
    env["JWKS_URL"] = f"http://127.0.0.1:{ports['auth']}/.well-known/jwks.json"
    # Scheduling reads stored forecasts for /staffing/plan.
    env["SCHEDULING_FORECASTING_URL"] = f"http://127.0.0.1:{ports['forecasting']}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def start_service(stack: Stack, name: str, env: dict[str, str]) -> None:
    # The child writes to its own copy of the descriptor: ours is closed at once (left to the
    # garbage collector, it is a ResourceWarning, an error under pytest's filters).
    with (stack.log_dir / f"{name}.log").open("ab") as log:
        stack.procs[name] = subprocess.Popen(
            [sys.executable, "-m", f"opticall_{name}"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_healthy(stack: Stack, name: str, timeout: float = 90.0, path: str = "/healthz") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc = stack.procs[name]
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{stack.log_tail(name)}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(stack.url(name) + path, timeout=2) as resp,
        ):
            if resp.status == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{name} not healthy after {timeout}s:\n{stack.log_tail(name)}")


def start_stack(
    ports: dict[str, int] | None = None,
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
    services: tuple[str, ...] = SERVICES,
) -> Stack:
    ports = ports or dict(DEFAULT_PORTS)
    log_dir = log_dir or ROOT / ".local" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(ports=ports, log_dir=log_dir)
    full_env = service_env(ports, env)
    try:
        # Auth first: the others fetch its JWKS. Then the rest in parallel.
        for name in services:
            start_service(stack, name, full_env)
        for name in services:
            wait_healthy(stack, name)
    except BaseException:
        stack.stop()
        raise
    return stack


def ports_from_env() -> dict[str, int]:
    """The default ports, each overridden by its ``<SVC>_PORT`` (as the services read them)."""
    env = os.environ
    return {name: int(env.get(f"{name.upper()}_PORT", p)) for name, p in DEFAULT_PORTS.items()}


def main() -> None:
    os.environ.setdefault("OPTICALL_ENV", "development")
    os.environ.setdefault("LOG_JSON", "false")
    started = time.monotonic()
    stack = start_stack(ports_from_env())
    took = time.monotonic() - started
    print(
        f"OptiCall is up in {took:.1f}s: gateway {stack.url('gateway')} "
        f"(docs {stack.url('gateway')}/docs); logs in {stack.log_dir}"
    )
    if os.environ["OPTICALL_ENV"] == "development":
        print("Development mode: log in as admin / admin123. Ctrl-C stops everything.")
    stop = False

    def _handle(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, _handle)
    signal.signal(signal.SIGTERM, _handle)
    try:
        while not stop:
            for name, proc in stack.procs.items():
                if proc.poll() is not None:
                    print(
                        f"{name} exited ({proc.returncode}); last log lines:\n"
                        f"{stack.log_tail(name)}"
                    )
                    stop = True
            time.sleep(0.5)
    finally:
        print("stopping OptiCall services...")
        stack.stop()


if __name__ == "__main__":
    main()
