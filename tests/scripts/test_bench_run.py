"""``make bench`` (bench/run.py) fails when a target is missed, not only when a bench crashes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_table(tmp_path: Path, rows: list[dict[str, object]]) -> subprocess.CompletedProcess[str]:
    """bench/run.py over one fake area that prints ``rows`` (run.py globs its own folder)."""
    shutil.copy(ROOT / "bench" / "run.py", tmp_path / "run.py")
    area = tmp_path / "fake"
    area.mkdir()
    lines = "".join(f"print({json.dumps(json.dumps(r))})\n" for r in rows)
    (area / "run.py").write_text(lines)
    return subprocess.run(
        [sys.executable, str(tmp_path / "run.py")], capture_output=True, text=True, timeout=60
    )


def row(metric: str, ok: bool, target: str, **extra: object) -> dict[str, object]:
    return {"metric": metric, "value": 1.0, "baseline": 2.0, "ratio": 0.5, "target": target,
            "ok": ok, **extra}  # fmt: skip


def test_a_missed_target_fails_the_run(tmp_path: Path) -> None:
    result = run_table(tmp_path, [row("fast", True, ">= 0.5"), row("slow", False, ">= 0.8")])
    assert result.returncode == 1
    assert "target missed: fake: slow" in result.stderr


def test_info_rows_and_met_targets_pass(tmp_path: Path) -> None:
    result = run_table(tmp_path, [row("fast", True, ">= 0.5"), row("note", False, "info")])
    assert result.returncode == 0, result.stderr


def test_the_table_says_whether_a_row_is_held_to_a_budget(tmp_path: Path) -> None:
    result = run_table(
        tmp_path,
        [row("rss", True, "<= 150 MB", kind="budget"), row("rps", True, ">= 0.5")],
    )
    lines = {line.split()[1]: line for line in result.stdout.splitlines()[2:]}
    assert " budget " in lines["rss"]
    assert " baseline " in lines["rps"]
