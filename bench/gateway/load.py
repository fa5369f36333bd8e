"""Load client (its own process): ``load.py URL COUNT CONCURRENCY [TOKEN]`` → one JSON line.

aiohttp on uvloop, keep-alive connections, a fixed number of requests; every response must
be 200 or the run fails. Prints requests/s and latency percentiles in milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp
import uvloop


async def run(url: str, count: int, concurrency: int, token: str | None) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    remaining = count
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                t0 = time.perf_counter()
                async with session.get(url) as resp:
                    await resp.read()
                    if resp.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - t0)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        took = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{errors} of {count} requests to {url} failed")
    latencies.sort()
    n = len(latencies)
    return {
        "rps": n / took,
        "p50_ms": latencies[n // 2] * 1000,
        "p99_ms": latencies[min(n - 1, int(n * 0.99))] * 1000,
    }


def main() -> None:
    url, count, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    token = sys.argv[4] if len(sys.argv) > 4 else None
    print(json.dumps(uvloop.run(run(url, count, concurrency, token))))


if __name__ == "__main__":
    main()
