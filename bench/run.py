"""``make bench``: run every benchmark under bench/ and print one table of ratios.

Contract: each ``bench/<area>/run.py`` prints JSON lines on stdout, one per figure:
``{"benchmark": "gateway", "metric": "GET /protected req/s", "value": 1234.0,
"baseline": 1400.0, "baseline_name": "bare FastAPI", "ratio": 0.88, "target": ">= 0.8",
"ok": true}``. Baselines are measured in the same run. Anything else it prints goes to stderr.
A row may say ``"kind": "budget"`` when it compares against a fixed budget (DESIGN.md) rather
than a baseline measured beside it; the table shows which. ``make bench`` exits non-zero when a
benchmark crashes or any row with a target (other than ``info``) is not ``ok``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Seconds one bench/<area>/run.py may take (BENCH_TIMEOUT), so a hung one cannot hang the table.
TIMEOUT = int(os.environ.get("BENCH_TIMEOUT", "1800"))


def _text(out: str | bytes | None) -> str:
    if isinstance(out, bytes):
        return out.decode(errors="replace")
    return out or ""


def main() -> int:
    only = set(sys.argv[1:])
    rows = []
    failed = []
    for script in sorted(HERE.glob("*/run.py")):
        area = script.parent.name
        if only and area not in only:
            continue
        print(f"running bench/{area} ...", file=sys.stderr, flush=True)
        try:
            proc = subprocess.run(
                [sys.executable, str(script)], capture_output=True, text=True, timeout=TIMEOUT
            )
        except subprocess.TimeoutExpired as exc:
            # One hung benchmark must not hang the whole table; show what it printed so far.
            sys.stderr.write(_text(exc.stderr)[-4000:])
            failed.append(f"{area} (no result after {TIMEOUT} s)")
            stdout = _text(exc.stdout)
        else:
            sys.stderr.write(proc.stderr[-4000:])
            if proc.returncode != 0:
                failed.append(area)
            stdout = proc.stdout
        for line in stdout.splitlines():
            if not line.startswith("{"):
                continue
            try:
                row = json.loads(line)
            except ValueError:
                print(f"bench/{area}: not a JSON line: {line[:200]}", file=sys.stderr)
                continue
            if isinstance(row, dict) and "metric" in row:
                rows.append({"benchmark": area, **row})
    header = (
        f"{'benchmark':<12} {'metric':<46} {'value':>12} {'vs':<8} {'baseline':>12} "
        f"{'ratio':>7} {'target':>10}  ok"
    )
    print(header)
    print("-" * len(header))
    for r in rows:

        def fmt(v: object) -> str:
            return f"{v:.4g}" if isinstance(v, int | float) else "-"

        print(
            f"{r['benchmark']!s:<12} {str(r['metric'])[:46]:<46} {fmt(r.get('value')):>12} "
            f"{kind_of(r):<8} {fmt(r.get('baseline')):>12} {fmt(r.get('ratio')):>7} "
            f"{r.get('target', '')!s:>10}  {'yes' if r.get('ok') else 'NO'}"
        )
    missed = [r for r in rows if is_gated(r) and not r.get("ok")]
    if failed:
        print(f"benchmarks that crashed: {', '.join(failed)}", file=sys.stderr)
    for r in missed:
        target = r.get("target")
        print(f"target missed: {r['benchmark']}: {r['metric']} ({target})", file=sys.stderr)
    return 1 if failed or missed else 0


def kind_of(row: dict[str, object]) -> str:
    """``budget`` for a row held to a fixed number, ``baseline`` for one measured beside it."""
    kind = row.get("kind")
    if isinstance(kind, str):
        return kind
    return "budget" if "budget" in str(row.get("baseline_name", "")).lower() else "baseline"


def is_gated(row: dict[str, object]) -> bool:
    """Rows with a target fail the run when missed; ``info`` rows only inform."""
    target = str(row.get("target") or "").strip().lower()
    return target not in ("", "info")


if __name__ == "__main__":
    sys.exit(main())
