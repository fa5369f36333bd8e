"""The CPUs a process may use: affinity mask capped by a cgroup v1 or v2 quota."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from opticall_common import cpus


def tree(tmp_path: Path, files: dict[str, str], membership: str) -> tuple[Path, Path]:
    root = tmp_path / "cgroup"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    root.mkdir(exist_ok=True)
    proc = tmp_path / "proc_self_cgroup"
    proc.write_text(membership)
    return root, proc


@pytest.fixture
def eight_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(8)))


def test_v2_quota_of_the_own_cgroup_caps_the_affinity(tmp_path: Path, eight_cpus: None) -> None:
    root, proc = tree(tmp_path, {"kubepods/pod1/cpu.max": "150000 100000\n"}, "0::/kubepods/pod1\n")
    assert cpus.quota_from_cgroup(root, proc) == pytest.approx(1.5)
    assert cpus.usable_cpus(root, proc) == 2  # 1.5 CPUs keep two processes busy


def test_v2_an_ancestors_smaller_quota_wins(tmp_path: Path, eight_cpus: None) -> None:
    files = {"a/cpu.max": "100000 100000", "a/b/cpu.max": "max 100000"}
    root, proc = tree(tmp_path, files, "0::/a/b\n")
    assert cpus.usable_cpus(root, proc) == 1


def test_v1_cfs_quota(tmp_path: Path, eight_cpus: None) -> None:
    files = {
        "cpu,cpuacct/docker/x/cpu.cfs_quota_us": "300000",
        "cpu,cpuacct/docker/x/cpu.cfs_period_us": "100000",
    }
    root, proc = tree(tmp_path, files, "4:cpu,cpuacct:/docker/x\n1:memory:/docker/x\n")
    assert cpus.usable_cpus(root, proc) == 3


def test_no_quota_means_the_affinity_mask(tmp_path: Path, eight_cpus: None) -> None:
    files = {"cpu.max": "max 100000", "cpu,cpuacct/cpu.cfs_quota_us": "-1"}
    root, proc = tree(tmp_path, files, "0::/\n")
    assert cpus.quota_from_cgroup(root, proc) is None
    assert cpus.usable_cpus(root, proc) == 8


def test_the_affinity_mask_caps_a_larger_quota(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0})
    root, proc = tree(tmp_path, {"cpu.max": "400000 100000"}, "0::/\n")
    assert cpus.usable_cpus(root, proc) == 1


def test_this_machine_answers_at_least_one() -> None:
    assert 1 <= cpus.usable_cpus() <= (os.cpu_count() or 1)
