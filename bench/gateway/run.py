"""Gateway benchmark: the gateway against bare FastAPI and direct upstream calls, same run.

Starts its own processes on free ports: a bare FastAPI app (baseline + upstream + JWKS
server for a TokenFactory key) and the real gateway (``python -m opticall_gateway``) in
front of it. One load client drives each side of a pair with the same settings (fixed
request count, CONCURRENCY keep-alive connections, the same Authorization header; every
answer must be 2xx); pairs are interleaved over several rounds after a warm-up and the median
taken, so a noisy neighbour on a shared machine hits both sides alike. Prints the JSON lines
of bench/run.py's contract.

The client is bombardier (Go, pinned, installed into .local/bin by deploy/scripts/tools.sh on
first use), not a Python client: on a 2-core machine the client shares the CPU with the
processes under test, and the proxied side runs three processes (client, gateway, upstream)
against the direct side's two. A Python client spending ~as much CPU per request as the
servers made the ratio measure the client as much as the gateway; the client's CPU is not
what is being measured, and a native one costs a fraction of it. It is the same client on both
sides of every pair. If bombardier cannot be installed, the old aiohttp client (load.py) is
used and stderr says so.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from contextlib import ExitStack
from functools import partial
from pathlib import Path

from opticall_common.testing import TokenFactory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for the shared helpers
import _util
from _util import free_port, stop, wait_ready

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
COUNT = int(os.environ.get("BENCH_GATEWAY_COUNT", "6000"))
CONCURRENCY = int(os.environ.get("BENCH_GATEWAY_CONCURRENCY", "32"))
LIGHT_COUNT = int(os.environ.get("BENCH_GATEWAY_LIGHT_COUNT", "1500"))
ROUNDS = int(os.environ.get("BENCH_GATEWAY_ROUNDS", "3"))
emit = partial(_util.emit, "gateway")
Stats = dict[str, float]


def start(stack: ExitStack, args: list[str], env: dict[str, str]) -> None:
    proc = subprocess.Popen(args, env=env, cwd=HERE, stdout=subprocess.DEVNULL, stderr=sys.stderr)
    stack.callback(stop, proc)


def bombardier() -> str | None:
    """bombardier's path (tools.sh installs it on first use), or None if it cannot be had."""
    out = subprocess.run(
        ["bash", str(ROOT / "deploy" / "scripts" / "tools.sh"), "bombardier"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    paths = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    if out.returncode != 0 or "bombardier" not in paths:
        print(
            f"bombardier could not be installed, falling back to the Python client "
            f"(its CPU is then charged to both sides): {out.stderr[-2000:]}",
            file=sys.stderr,
        )
        return None
    return paths["bombardier"]


def load_native(tool: str, url: str, count: int, concurrency: int, token: str | None) -> Stats:
    """``count`` GETs over ``concurrency`` keep-alive connections; every answer must be 2xx."""
    args = [tool, "-n", str(count), "-c", str(concurrency), "-t", "30s", "-l", "-o", "json"]
    args += ["-p", "r", *(["-H", f"Authorization: Bearer {token}"] if token else []), url]
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"bombardier failed on {url}: {out.stderr[-2000:]}")
    result = json.loads(out.stdout)["result"]
    if result["req2xx"] != count or result.get("errors"):
        codes = {k: result[k] for k in ("req1xx", "req3xx", "req4xx", "req5xx", "others")}
        errors = result.get("errors")
        raise RuntimeError(f"{url}: {result['req2xx']} of {count} were 2xx: {codes} {errors}")
    pct = result["latency"]["percentiles"]  # microseconds
    return {
        "rps": count / result["timeTakenSeconds"],
        "p50_ms": pct["50"] / 1000,
        "p99_ms": pct["99"] / 1000,
    }


def load_python(url: str, count: int, concurrency: int, token: str | None) -> Stats:
    args = [sys.executable, str(HERE / "load.py"), url, str(count), str(concurrency)]
    out = subprocess.run(args + ([token] if token else []), capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"load client failed on {url}: {out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def load(tool: str | None, url: str, count: int, concurrency: int, token: str | None) -> Stats:
    if tool is None:
        return load_python(url, count, concurrency, token)
    return load_native(tool, url, count, concurrency, token)


def pair(
    tool: str | None, token: str | None, a: str, b: str, count: int, concurrency: int
) -> tuple[Stats, Stats]:
    """Interleave a and b for ROUNDS rounds; the median figure of each side."""
    load(tool, a, max(count // 5, 200), concurrency, token)  # warm pools and caches alike
    load(tool, b, max(count // 5, 200), concurrency, token)
    runs_a, runs_b = [], []
    for _ in range(ROUNDS):
        runs_a.append(load(tool, a, count, concurrency, token))
        runs_b.append(load(tool, b, count, concurrency, token))
    med = lambda runs, k: statistics.median(r[k] for r in runs)  # noqa: E731
    keys = ("rps", "p50_ms", "p99_ms")
    return {k: med(runs_a, k) for k in keys}, {k: med(runs_b, k) for k in keys}


def main() -> int:
    tool = bombardier()
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
        measure = partial(pair, tool, token)
        client = tool or "python load.py"
        print(f"bare {bare}, gateway {gateway}, client {client}", file=sys.stderr)

        gw_p, bare_p = measure(f"{gateway}/protected", f"{bare}/protected", COUNT, CONCURRENCY)
        ratio = gw_p["rps"] / bare_p["rps"]
        emit(
            "GET /protected req/s",
            gw_p["rps"],
            bare_p["rps"],
            "bare FastAPI",
            ">= 0.8",
            ratio >= 0.8,
        )

        gw_a, direct_a = measure(f"{gateway}/agents", f"{bare}/agents", COUNT, CONCURRENCY)
        ratio = gw_a["rps"] / direct_a["rps"]
        emit(
            "proxied GET /agents req/s",
            gw_a["rps"],
            direct_a["rps"],
            "service direct",
            ">= 0.5",
            ratio >= 0.5,
        )

        light_gw, light_direct = measure(f"{gateway}/agents", f"{bare}/agents", LIGHT_COUNT, 1)
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
                    "client": client,
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
