"""How many CPUs this process may really use: its affinity mask and its cgroup CPU quota.

``os.cpu_count()`` counts the host's cores. In a container limited to two CPUs on a 64-core
node it says 64, and a pool sized from it starts 64 processes that share two CPUs' worth of
time (and 64 copies of the models' memory). The affinity mask (``taskset``, cpusets) and the
cgroup quota (Kubernetes ``resources.limits.cpu``, ``docker --cpus``) are both limits; the
smaller wins, rounded up (a quota of 1.5 CPUs still keeps two processes busy half the time).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def affinity_count() -> int:
    """CPUs in this process's affinity mask (all online CPUs where the OS has no masks)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _own_cgroup_dirs(root: Path, proc_self: Path) -> list[Path]:
    """The cgroup folders of this process (v2 unified path, v1 cpu controller paths), then
    the root: inside a container the namespace's root is the container's own cgroup."""
    found: list[Path] = []
    text = _read(proc_self) or ""
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, rel = parts
        rel = rel.lstrip("/")
        if controllers == "":  # v2
            found.append(root / rel)
        elif "cpu" in controllers.split(","):  # v1: mounted as cpu,cpuacct or cpu
            for mount in ("cpu,cpuacct", "cpu", "cpuacct,cpu"):
                found.append(root / mount / rel)
                found.append(root / mount)
    found.append(root)
    return found


def quota_from_cgroup(root: Path = CGROUP_ROOT, proc_self: Path | None = None) -> float | None:
    """The CPU quota in CPUs (``cpu.max`` in v2, ``cfs_quota_us / cfs_period_us`` in v1), or
    None when there is none. The smallest quota on the path to the root wins, as in the
    kernel."""
    proc_self = proc_self or Path("/proc/self/cgroup")
    quotas: list[float] = []
    for folder in _own_cgroup_dirs(root, proc_self):
        # v2 limits apply from every ancestor: walk up to the mount root.
        here = folder
        while True:
            quota = _quota_in(here)
            if quota is not None:
                quotas.append(quota)
            if here == root or root not in here.parents:
                break
            here = here.parent
    return min(quotas) if quotas else None


def _quota_in(folder: Path) -> float | None:
    v2 = _read(folder / "cpu.max")
    if v2:
        limit, _, v2_period = v2.partition(" ")
        if limit != "max" and v2_period:
            return _ratio(limit, v2_period)
        return None
    quota = _read(folder / "cpu.cfs_quota_us")
    period = _read(folder / "cpu.cfs_period_us")
    if quota and period and not quota.startswith("-"):
        return _ratio(quota, period)
    return None


def _ratio(quota: str, period: str) -> float | None:
    try:
        value = int(quota) / int(period)
    except (ValueError, ZeroDivisionError):
        return None
    return value if value > 0 else None


def usable_cpus(root: Path = CGROUP_ROOT, proc_self: Path | None = None) -> int:
    """The CPUs this process may use: the affinity mask, capped by the cgroup quota; >= 1."""
    count = affinity_count()
    quota = quota_from_cgroup(root, proc_self)
    if quota is not None:
        count = min(count, math.ceil(quota))
    return max(1, count)
