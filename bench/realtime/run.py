"""Realtime benchmark: fold rate vs raw aiokafka, event -> WebSocket latency, memory per agent.

Runs ``fold.py`` (in-process Engine against the broker in ``KAFKA_BOOTSTRAP_SERVERS``, default
127.0.0.1:9092) and ``latency.py`` (the real service process plus a WebSocket client), each in
its own process, and prints the JSON lines of bench/run.py's contract. Knobs:
``BENCH_RT_EVENTS`` (fold-rate events a round, default 30,000), ``BENCH_RT_ROUNDS`` (fold-rate
rounds, default 9; the median ratio is reported), ``BENCH_RT_AGENTS`` (memory: agents,
default 100,000),
``BENCH_RT_RATE`` (latency: events/s, default 2,000), ``BENCH_RT_SECONDS``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def run(script: str, **env: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(HERE / script)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=3600,
    )
    sys.stderr.write(proc.stderr[-3000:])
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"{script} failed with {proc.returncode}")
    return dict(json.loads(lines[-1]))


def row(metric: str, value: float, **kw: Any) -> None:
    out = {"benchmark": "realtime", "metric": metric, "value": round(value, 3), **kw}
    print(json.dumps(out), flush=True)


def summary(rounds: list[dict[str, Any]]) -> tuple[float, list[float], dict[str, float]]:
    """The median of the rounds' ratios (each round's fold against the baseline run around
    it), every round's ratio, and the median fold and baseline rates shown beside it."""
    rounds.sort(key=lambda r: r["fold_rate"] / r["raw_rate"])
    ratios = [round(r["fold_rate"] / r["raw_rate"], 3) for r in rounds]
    ratio = statistics.median(r["fold_rate"] / r["raw_rate"] for r in rounds)
    fold = {
        key: statistics.median(r[key] for r in rounds)
        for key in ("fold_rate", "raw_rate", "fold_cpu_rate", "raw_cpu_rate")
    }
    return ratio, ratios, fold


def main() -> None:
    rounds = run("fold.py")["rounds"]
    scheduled = run("fold.py", BENCH_RT_MODE="scheduled")["rounds"]
    extras = run("fold.py", BENCH_RT_MODE="extras")
    memory = run("fold.py", BENCH_RT_MODE="memory")
    # Agents new every round and without shifts (the worst case for the table's growth), then
    # every agent known and on a shift (each event judged against it): one target for both.
    baseline_name = "raw aiokafka getmany + AgentEvent.model_validate_json, before and after"
    summaries = {
        "fold events/s": summary(rounds),
        "fold events/s, every agent on a shift": summary(scheduled),
    }
    for metric, (ratio, ratios, rates) in summaries.items():
        print(f"realtime {metric} / raw per round: {ratios}", file=sys.stderr)
        row(
            metric,
            rates["fold_rate"],
            baseline=round(rates["raw_rate"], 1),
            baseline_name=baseline_name,
            ratio=round(ratio, 4),
            target=">= 0.5",
            ok=ratio >= 0.5,
            rounds=ratios,
        )
    fold = summaries["fold events/s"][2]
    row(
        "fold events/s vs aiokafka without decoding",
        fold["fold_rate"],
        baseline=round(extras["raw_nodecode_rate"], 1),
        baseline_name="raw aiokafka getmany, no decode",
        ratio=round(fold["fold_rate"] / extras["raw_nodecode_rate"], 4),
        target="info",
        ok=True,
    )
    # The fold decodes with agent_event_core, cheaper than the baseline's model: against a
    # consumer decoding that way too (measured in the extras run, scaled to this run's
    # baseline), what the fold costs beyond its decoding.
    core_scale = extras["raw_core_over_model"]
    for metric, (_, _, rates) in summaries.items():
        baseline = rates["raw_rate"] * core_scale
        row(
            f"{metric} vs aiokafka + the fold's own decoding",
            rates["fold_rate"],
            baseline=round(baseline, 1),
            baseline_name="raw aiokafka getmany + agent_event_core (extras run's ratio to model)",
            ratio=round(rates["fold_rate"] / baseline, 4),
            target="info",
            ok=True,
        )
    # The same comparison per CPU-second of the process (all its threads): what the fold
    # costs, whatever else the shared machine runs meanwhile.
    cpu_ratios = [r["fold_cpu_rate"] / r["raw_cpu_rate"] for r in rounds]
    row(
        "fold events per CPU-second",
        fold["fold_cpu_rate"],
        baseline=round(fold["raw_cpu_rate"], 1),
        baseline_name="raw aiokafka getmany + AgentEvent.model_validate_json, per CPU-second",
        ratio=round(statistics.median(cpu_ratios), 4),
        target="info",
        ok=True,
    )
    bare_ratio = fold["fold_rate"] / extras["bare_faust_rate"]
    row(
        "fold events/s vs a no-op Faust agent",
        fold["fold_rate"],
        baseline=round(extras["bare_faust_rate"], 1),
        baseline_name="no-op Faust agent (Faust's per-message path, which the fold bypasses)",
        ratio=round(bare_ratio, 4),
        target="info",
        ok=True,
    )
    per_agent = memory["bytes_per_agent"]
    row(
        f"RSS bytes per agent ({memory['agents']} agents)",
        per_agent,
        baseline=1024,
        baseline_name="budget 1 KB",
        ratio=round(per_agent / 1024, 3),
        target="<= 1.0",
        ok=per_agent <= 1024,
    )
    for rate, target in ((os.environ.get("BENCH_RT_RATE", "2000"), True), ("200", False)):
        lat = run("latency.py", BENCH_RT_RATE=rate)
        p99_ms = lat["p99"] * 1000
        row(
            f"event->WS p50 ms at {rate} ev/s",
            lat["p50"] * 1000,
            target="info",
            ok=True,
        )
        row(
            f"event->WS p99 ms at {rate} ev/s",
            p99_ms,
            baseline=50,
            baseline_name="budget 50 ms",
            ratio=round(p99_ms / 50, 3),
            target="<= 1.0" if target else "info",
            ok=p99_ms <= 50 if target else True,
        )


if __name__ == "__main__":
    main()
