"""What a sandbox could leak (processes, mounts, cgroups, containers, bundles), for leak tests.

:func:`leftovers` looks only at one sandbox's own artefacts, so parallel runs on one host
never disturb a test; :func:`leak_snapshot` is the host-wide view for tests that watch a
child process whose sandboxes they cannot reach.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pylint_image.runner.sandbox import SandboxSupport
from pylint_image.runner.sandbox.runtime import Runtime
from pylint_image.runner.sandbox.support import parse_mounts

SANDBOX_PREFIX = "pylint-image-sandbox-"


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


def cgroup_leaves() -> set[Path]:
    """Every container cgroup pylint-image's runtime calls made, on every mounted hierarchy."""
    found: set[Path] = set()
    for mount in parse_mounts(Path("/proc/mounts").read_text()):
        if mount.fstype in ("cgroup", "cgroup2"):
            found |= set(Path(mount.target, "pylint-image").glob("*"))
    return found


def leak_snapshot(support: SandboxSupport, pid: int | None = None) -> set[str]:
    """Describe every sandbox artefact currently present on the host, as comparable strings."""
    pid = os.getpid() if pid is None else pid
    items = {f"process {p}" for p in child_pids(pid)}
    mountinfo = Path("/proc/self/mountinfo").read_text()
    items |= {f"mount {line.split()[4]}" for line in mountinfo.splitlines()
              if SANDBOX_PREFIX in line}
    items |= {f"cgroup {d}" for d in cgroup_leaves()}
    if support.runtime is not None:
        items |= {f"container {c}" for c in Runtime(support.runtime).list_ids()}
    items |= {f"tempdir {d}" for d in Path(tempfile.gettempdir()).glob(f"{SANDBOX_PREFIX}*")}
    return items


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def leftovers(box: object) -> set[str]:
    """What one sandbox (a RunningSandbox) left behind: only its own artefacts, never another run's."""
    found: set[str] = set()
    pid = getattr(box, "pid", 0)
    if pid and alive(pid):
        found.add(f"container PID 1 {pid}")
    proc = getattr(box, "_proc", None)
    if proc is not None and proc.poll() is None:
        found.add(f"runtime process {proc.pid}")
    run_dir = getattr(box, "run_dir")
    if run_dir.exists():
        found.add(f"bundle {run_dir}")
    if str(run_dir) in Path("/proc/self/mountinfo").read_text():
        found.add(f"mount under {run_dir}")
    cgroup = getattr(box, "cgroup", None)
    found |= {f"cgroup {leaf}" for leaf in (cgroup.leaves if cgroup else ()) if leaf.exists()}
    netns = getattr(box, "_netns", None)
    if netns and Path("/run/netns", netns).exists():
        found.add(f"network namespace {netns}")
    if getattr(box, "id") in getattr(box, "runtime").list_ids():
        found.add(f"container {getattr(box, 'id')}")
    return found
