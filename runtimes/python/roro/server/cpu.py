"""How many CPUs this container may use, for sizing workers.

os.cpu_count() reports the host's cores, not the container's limit, so read the cgroup quota first.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

_CGROUP = Path("/sys/fs/cgroup")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _cgroup_v2(root: Path) -> float | None:
    text = _read(root / "cpu.max")
    if not text:
        return None
    quota, _, period = text.partition(" ")
    if quota == "max" or not period:
        return None
    try:
        return int(quota) / int(period)
    except (ValueError, ZeroDivisionError):
        return None


def _cgroup_v1(root: Path) -> float | None:
    for sub in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        quota, period = _read(root / sub / "cpu.cfs_quota_us"), _read(root / sub / "cpu.cfs_period_us")
        if quota is None or period is None:
            continue
        try:
            q, p = int(quota), int(period)
        except ValueError:
            return None
        return q / p if q > 0 and p > 0 else None
    return None


def cgroup_cpu_limit(root: Path = _CGROUP) -> float | None:
    """The CPU quota in cores, or None when there is no limit."""
    return _cgroup_v2(root) or _cgroup_v1(root)


def available_cpus(root: Path = _CGROUP) -> int:
    """Whole CPUs this process may use: the cgroup quota rounded up, capped by the CPUs it may run on."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    limit = cgroup_cpu_limit(root)
    if limit is not None:
        cpus = min(cpus, max(1, math.ceil(limit)))
    return max(1, cpus)
