"""``make bench``: run every benchmark under bench/ and print one table of ratios.

Contract: each ``bench/<area>/run.py`` prints JSON lines on stdout, one per figure:
``{"benchmark": "gateway", "metric": "GET /protected req/s", "value": 1234.0,
"baseline": 1400.0, "baseline_name": "bare FastAPI", "ratio": 0.88, "target": ">= 0.8",
"ok": true}``. Baselines are measured in the same run. Anything else it prints goes to stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    only = set(sys.argv[1:])
    rows = []
    failed = []
    for script in sorted(HERE.glob("*/run.py")):
        area = script.parent.name
        if only and area not in only:
            continue
        print(f"running bench/{area} ...", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
        sys.stderr.write(proc.stderr[-4000:])
        if proc.returncode != 0:
            failed.append(area)
        for line in proc.stdout.splitlines():
            if line.startswith("{"):
                rows.append(json.loads(line))
    header = (
        f"{'benchmark':<12} {'metric':<46} {'value':>12} {'baseline':>12} {'ratio':>7} "
        f"{'target':>10}  ok"
    )
    print(header)
    print("-" * len(header))
    for r in rows:

        def fmt(v: object) -> str:
            return f"{v:.4g}" if isinstance(v, int | float) else "-"

        print(
            f"{r['benchmark']:<12} {r['metric'][:46]:<46} {fmt(r.get('value')):>12} "
            f"{fmt(r.get('baseline')):>12} {fmt(r.get('ratio')):>7} "
            f"{r.get('target', '')!s:>10}  {'yes' if r.get('ok') else 'NO'}"
        )
    if failed:
        print(f"benchmarks that crashed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
