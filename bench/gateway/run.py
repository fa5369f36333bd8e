"""Gateway benchmark: the gateway against bare FastAPI and direct upstream calls, same run.

Starts its own processes on free ports: a bare FastAPI app (baseline + upstream + JWKS
server for a TokenFactory key) and the real gateway (``python -m opticall_gateway``) in
front of it. One load client drives each side of a pair with the same settings (fixed
request count, CONCURRENCY keep-alive connections, the same requests with the same headers;
every answer must be 2xx); pairs are interleaved over several rounds after a warm-up and the
median taken, so a noisy neighbour on a shared machine hits both sides alike. Prints the JSON
lines of bench/run.py's contract.

Tokens, as real clients send them: every run signs fresh tokens and sends each one
REQUESTS_PER_TOKEN times (default 10), so one request in ten is the first the gateway sees
of its token and pays a full verification (Ed25519 signature, claims), the others hit the
verification cache. That is harsher than real clients (a dashboard polling every 5 s with a
15-minute token sends ~180 requests per token), and it is what keeps the cache from
flattering the figure: one token reused for the whole run measured a dict lookup.

The client is vegeta (Go, pinned, installed into .local/bin by deploy/scripts/tools.sh on
first use), not a Python client: on a 2-core machine the client shares the CPU with the
processes under test, and a Python client spending about as much CPU per request as the
servers made the ratio measure the client as much as the gateway. vegeta reads its requests
from a file, each with its own header, which is what lets every request carry its own token
(the previous client, bombardier, sends one fixed header).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from datetime import datetime
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
REQUESTS_PER_TOKEN = int(os.environ.get("BENCH_GATEWAY_REQUESTS_PER_TOKEN", "10"))
NO_TARGETS = "no targets to attack"
emit = partial(_util.emit, "gateway")
Stats = dict[str, float]


def start(stack: ExitStack, args: list[str], env: dict[str, str]) -> None:
    proc = subprocess.Popen(args, env=env, cwd=HERE, stdout=subprocess.DEVNULL, stderr=sys.stderr)
    stack.callback(stop, proc)


def vegeta() -> str:
    """vegeta's path: tools.sh installs it on first use, and fails loudly if it cannot."""
    out = subprocess.run(
        ["bash", str(ROOT / "deploy" / "scripts" / "tools.sh"), "vegeta"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    paths = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    if out.returncode != 0 or "vegeta" not in paths:
        raise RuntimeError(f"vegeta could not be installed: {out.stderr[-2000:]}")
    return paths["vegeta"]


class Tokens:
    """Fresh tokens for every run: each is sent REQUESTS_PER_TOKEN times, in order."""

    def __init__(self, factory: TokenFactory) -> None:
        self.factory = factory

    def for_run(self, count: int) -> list[str]:
        distinct = [
            self.factory.token(sub=f"bench-{i}", roles=("admin",), ttl=3600)
            for i in range(max(1, -(-count // REQUESTS_PER_TOKEN)))
        ]
        return [distinct[i // REQUESTS_PER_TOKEN] for i in range(count)]


def targets(url: str, tokens: list[str], path: Path) -> None:
    """vegeta's http format: one request per token, each with its own Authorization."""
    with path.open("w") as out:
        for token in tokens:
            out.write(f"GET {url}\nAuthorization: Bearer {token}\n\n")


def load(tool: str, url: str, tokens: list[str], concurrency: int) -> Stats:
    """One GET per token over ``concurrency`` keep-alive connections; every answer 2xx."""
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "targets.txt"
        targets(url, tokens, file)
        # -lazy: the attack ends when the file does, so exactly len(tokens) requests are made;
        # -rate=0 with a fixed number of workers: each sends its next request when answered.
        attack = subprocess.run(
            [
                tool,
                "attack",
                "-lazy",
                f"-targets={file}",
                "-rate=0",
                f"-workers={concurrency}",
                f"-max-workers={concurrency}",
                "-timeout=30s",
                f"-output={Path(tmp) / 'results.bin'}",
            ],
            capture_output=True,
            text=True,
        )
        if attack.returncode != 0:
            raise RuntimeError(f"vegeta failed on {url}: {attack.stderr[-2000:]}")
        encoded = subprocess.run(
            [tool, "encode", "-to=json", str(Path(tmp) / "results.bin")],
            capture_output=True,
            text=True,
            check=True,
        )
    # The lazy targeter's end shows up as one "no targets to attack" result per worker.
    results = [json.loads(line) for line in encoded.stdout.splitlines() if line.strip()]
    answered = [r for r in results if r["error"] != NO_TARGETS]
    failed = [r for r in answered if not 200 <= r["code"] < 300]
    if len(answered) != len(tokens) or failed:
        sample = [(r["code"], r["error"]) for r in failed[:5]]
        raise RuntimeError(f"{url}: {len(answered) - len(failed)} of {len(tokens)} 2xx: {sample}")
    latencies = sorted(r["latency"] / 1e6 for r in answered)  # ns → ms
    first = min(_ns(r["timestamp"]) for r in answered)
    last = max(_ns(r["timestamp"]) + r["latency"] for r in answered)
    return {
        # Requests over the time from the first request sent to the last answer received.
        "rps": len(answered) / ((last - first) / 1e9),
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def _ns(timestamp: str) -> int:
    """vegeta's RFC 3339 timestamp with nanoseconds, as integer nanoseconds since the epoch."""
    head, _, frac = timestamp.partition(".")
    digits = "".join(c for c in frac if c.isdigit())
    zone = frac[len(digits) :]
    seconds = datetime.fromisoformat(head + zone).timestamp()
    return int(seconds) * 1_000_000_000 + int(digits.ljust(9, "0")[:9])


def pair(
    tool: str, tokens: Tokens, a: str, b: str, count: int, concurrency: int
) -> tuple[Stats, Stats]:
    """Interleave a and b for ROUNDS rounds, with the same requests; the median of each side."""
    warm = tokens.for_run(max(count // 5, 200))
    load(tool, a, warm, concurrency)  # warm pools and imports alike (not the token cache)
    load(tool, b, warm, concurrency)
    runs_a, runs_b = [], []
    for _ in range(ROUNDS):
        run = tokens.for_run(count)
        runs_a.append(load(tool, a, run, concurrency))
        runs_b.append(load(tool, b, run, concurrency))
    med = lambda runs, k: statistics.median(r[k] for r in runs)  # noqa: E731
    keys = ("rps", "p50_ms", "p99_ms")
    return {k: med(runs_a, k) for k in keys}, {k: med(runs_b, k) for k in keys}


def main() -> int:
    tool = vegeta()
    factory = TokenFactory()
    bare_port, gw_port = free_port(), free_port()
    bare = f"http://127.0.0.1:{bare_port}"
    gateway = f"http://127.0.0.1:{gw_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    # Kept in front: BENCH_GATEWAY_PYTHONPATH lets a run measure another checkout's gateway.
    path = [p for p in (os.environ.get("BENCH_GATEWAY_PYTHONPATH"), str(HERE)) if p]
    env.update({"BENCH_JWKS": json.dumps(factory.jwks()), "PYTHONPATH": os.pathsep.join(path)})
    gw_env = {
        **env,
        "OPTICALL_ENV": "test",
        "LOG_LEVEL": "WARNING",
        "GATEWAY_PORT": str(gw_port),
        "GATEWAY_METRICS_PORT": str(free_port()),
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
        measure = partial(pair, tool, Tokens(factory))
        print(
            f"bare {bare}, gateway {gateway}, client vegeta, "
            f"{REQUESTS_PER_TOKEN} requests per token",
            file=sys.stderr,
        )

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
                    "client": "vegeta",
                    "requests_per_token": REQUESTS_PER_TOKEN,
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
