"""Snapshot what a sandbox could leak (processes, mounts, cgroups, temp dirs) for leak tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pylint_image.runner.sandbox import SandboxSupport

SANDBOX_PREFIX = "pylint-image-sandbox-"
CGROUP_PREFIX = "pylint-image-"


def child_pids(parent: int) -> set[int]:
    """Pids of live (non-zombie-reaped) direct children of ``parent``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent:
            found.add(int(entry.name))
    return found


def leak_snapshot(support: SandboxSupport, pid: int | None = None) -> set[str]:
    """Describe every sandbox artefact currently present, as comparable strings."""
    pid = os.getpid() if pid is None else pid
    items = {f"process {p}" for p in child_pids(pid)}
    mountinfo = Path("/proc/self/mountinfo").read_text()
    items |= {f"mount {line.split()[4]}" for line in mountinfo.splitlines()
              if SANDBOX_PREFIX in line}
    for parent in set(support.cgroup.parents.values()):
        items |= {f"cgroup {d}" for d in parent.glob(f"{CGROUP_PREFIX}*")}
    items |= {f"tempdir {d}" for d in Path(tempfile.gettempdir()).glob(f"{SANDBOX_PREFIX}*")}
    return items
