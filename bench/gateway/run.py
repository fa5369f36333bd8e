"""Gateway benchmark: the gateway against bare FastAPI and direct upstream calls, same run.

Starts its own processes on free ports: a bare FastAPI app (baseline + upstream + JWKS
server for a TokenFactory key) and the real gateway (``python -m opticall_gateway``) in
front of it. A separate load-client process drives each target with the same settings;
pairs are interleaved over several rounds and the median taken, so a noisy neighbour on a
shared machine hits both sides alike. Prints the JSON lines of bench/run.py's contract.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from opticall_common.testing import TokenFactory

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
COUNT = int(os.environ.get("BENCH_GATEWAY_COUNT", "6000"))
CONCURRENCY = int(os.environ.get("BENCH_GATEWAY_CONCURRENCY", "32"))
LIGHT_COUNT = int(os.environ.get("BENCH_GATEWAY_LIGHT_COUNT", "1500"))
ROUNDS = int(os.environ.get("BENCH_GATEWAY_ROUNDS", "3"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(stack: ExitStack, args: list[str], env: dict[str, str]) -> None:
    proc = subprocess.Popen(args, env=env, cwd=HERE, stdout=subprocess.DEVNULL, stderr=sys.stderr)
    stack.callback(_stop, proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def load(url: str, count: int, concurrency: int, token: str | None) -> dict[str, float]:
    args = [sys.executable, str(HERE / "load.py"), url, str(count), str(concurrency)]
    out = subprocess.run(args + ([token] if token else []), capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"load client failed on {url}: {out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def pair(a: str, b: str, token: str | None, count: int, concurrency: int) -> tuple[dict, dict]:
    """Interleave a and b for ROUNDS rounds; the median figure of each side."""
    load(a, max(count // 5, 200), concurrency, token)  # warm pools, caches and JITs alike
    load(b, max(count // 5, 200), concurrency, token)
    runs_a, runs_b = [], []
    for _ in range(ROUNDS):
        runs_a.append(load(a, count, concurrency, token))
        runs_b.append(load(b, count, concurrency, token))
    med = lambda runs, k: statistics.median(r[k] for r in runs)  # noqa: E731
    keys = ("rps", "p50_ms", "p99_ms")
    return {k: med(runs_a, k) for k in keys}, {k: med(runs_b, k) for k in keys}


def emit(metric: str, value: float, baseline: float, name: str, target: str, ok: bool) -> None:
    ratio = value / baseline if baseline else None
    line = {
        "benchmark": "gateway",
        "metric": metric,
        "value": round(value, 3),
        "baseline": round(baseline, 3),
        "baseline_name": name,
        "ratio": round(ratio, 3) if ratio is not None else None,
        "target": target,
        "ok": ok,
    }
    print(json.dumps(line), flush=True)


def main() -> int:
    factory = TokenFactory()
    token = factory.token(sub="bench", roles=("admin",), ttl=3600)
    bare_port, gw_port = free_port(), free_port()
    bare = f"http://127.0.0.1:{bare_port}"
    gateway = f"http://127.0.0.1:{gw_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update({"BENCH_JWKS": json.dumps(factory.jwks()), "PYTHONPATH": str(HERE)})
    gw_env = {
        **env,
        "OPTICALL_ENV": "test",
        "LOG_LEVEL": "WARNING",
        "GATEWAY_PORT": str(gw_port),
        "JWKS_URL": f"{bare}/.well-known/jwks.json",
        **{f"GATEWAY_{svc}_URL": bare for svc in ("AUTH", "SCHEDULING", "FORECASTING", "REALTIME")},
    }
    uvicorn_args = ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
    with ExitStack() as stack:
        start(
            stack,
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bare_app:app",
                "--port",
                str(bare_port),
                "--log-level",
                "warning",
                *uvicorn_args,
            ],
            env,
        )
        start(stack, [sys.executable, "-m", "opticall_gateway"], gw_env)
        wait_ready(f"{bare}/healthz")
        wait_ready(f"{gateway}/readyz")
        print(f"bare {bare}, gateway {gateway}", file=sys.stderr)

        gw_p, bare_p = pair(f"{gateway}/protected", f"{bare}/protected", token, COUNT, CONCURRENCY)
        ratio = gw_p["rps"] / bare_p["rps"]
        emit(
            "GET /protected req/s",
            gw_p["rps"],
            bare_p["rps"],
            "bare FastAPI",
            ">= 0.8",
            ratio >= 0.8,
        )

        gw_a, direct_a = pair(f"{gateway}/agents", f"{bare}/agents", token, COUNT, CONCURRENCY)
        ratio = gw_a["rps"] / direct_a["rps"]
        emit(
            "proxied GET /agents req/s",
            gw_a["rps"],
            direct_a["rps"],
            "service direct",
            ">= 0.5",
            ratio >= 0.5,
        )

        light_gw, light_direct = pair(f"{gateway}/agents", f"{bare}/agents", token, LIGHT_COUNT, 1)
        added = light_gw["p50_ms"] - light_direct["p50_ms"]
        emit(
            "proxied GET added p50 ms (light load)",
            added,
            light_direct["p50_ms"],
            "service direct p50 ms",
            "<= 2 ms",
            added <= 2.0,
        )
        print(
            json.dumps(
                {
                    "protected": [gw_p, bare_p],
                    "proxied": [gw_a, direct_a],
                    "light": [light_gw, light_direct],
                }
            ),
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
