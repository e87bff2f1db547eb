"""cgroup v1 and v2 file logic on fake cgroupfs trees (this host is v1; CI runners are v2)."""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pytest

from pylint_image.linter.errors import SandboxError
from pylint_image.runner.sandbox.cgroups import Cgroup, apply_rlimits, create_cgroup
from pylint_image.runner.sandbox.spec import Limits
from pylint_image.runner.sandbox.support import CgroupMode, CgroupSupport

LIMITS = Limits(memory_bytes=64 * 1024 * 1024, pids=32, cpus=0.5)


def _v2(tmp_path: Path) -> CgroupSupport:
    (tmp_path / "cgroup.subtree_control").write_text("memory\n")
    return CgroupSupport(CgroupMode.V2, {c: tmp_path for c in ("memory", "pids", "cpu")})


def test_v2_create_enables_controllers_and_writes_limits(tmp_path):
    # A real cgroupfs creates interface files on mkdir; a fake tree needs the optional ones.
    support = _v2(tmp_path)
    cg = create_cgroup(support, LIMITS, name="leaf")
    leaf = tmp_path / "leaf"
    assert cg.leaves == (leaf,)
    assert (tmp_path / "cgroup.subtree_control").read_text() == "+pids +cpu"
    assert (leaf / "memory.max").read_text() == str(64 * 1024 * 1024)
    assert (leaf / "pids.max").read_text() == "32"
    assert not (leaf / "cpu.max").exists()   # no cpu.max file: the controller is absent


def test_v2_cpu_and_swap_are_written_when_present(tmp_path):
    support = _v2(tmp_path)
    cg = Cgroup(CgroupMode.V2, {c: tmp_path / "x" for c in support.parents})
    (tmp_path / "x").mkdir()
    for name in ("cpu.max", "memory.swap.max"):
        (tmp_path / "x" / name).write_text("max\n")
    from pylint_image.runner.sandbox.cgroups import _limit_v2
    _limit_v2(tmp_path / "x", LIMITS)
    assert (tmp_path / "x" / "cpu.max").read_text() == "50000 100000"
    assert (tmp_path / "x" / "memory.swap.max").read_text() == "0"
    cg.add(4242)
    assert (tmp_path / "x" / "cgroup.procs").read_text() == "4242"


def test_v2_usage_reads_peak_events_and_pids(tmp_path):
    leaf = tmp_path / "leaf"
    leaf.mkdir()
    (leaf / "memory.peak").write_text("1048576\n")
    (leaf / "memory.current").write_text("4096\n")
    (leaf / "memory.events").write_text("low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\n")
    (leaf / "pids.current").write_text("3\n")
    (leaf / "pids.events").write_text("max 5\n")
    usage = Cgroup(CgroupMode.V2, {"memory": leaf, "pids": leaf}).usage()
    assert (usage.memory_peak, usage.memory_current, usage.oom_kills) == (1048576, 4096, 1)
    assert (usage.pids_current, usage.pids_limit_hits, usage.enforced_by) == (3, 5, "cgroup-v2")


def test_v2_kill_uses_cgroup_kill(tmp_path):
    leaf = tmp_path / "leaf"
    leaf.mkdir()
    (leaf / "cgroup.kill").write_text("")
    Cgroup(CgroupMode.V2, {"memory": leaf, "pids": leaf}).kill()
    assert (leaf / "cgroup.kill").read_text() == "1"


def test_v1_create_writes_each_hierarchy(tmp_path):
    parents = {c: tmp_path / c for c in ("memory", "pids", "cpu")}
    for parent in parents.values():
        parent.mkdir()
    cg = create_cgroup(CgroupSupport(CgroupMode.V1, parents), LIMITS, name="leaf")
    assert len(cg.leaves) == 3
    assert (tmp_path / "memory/leaf/memory.limit_in_bytes").read_text() == str(64 * 1024 * 1024)
    assert (tmp_path / "pids/leaf/pids.max").read_text() == "32"
    assert (tmp_path / "cpu/leaf/cpu.cfs_quota_us").read_text() == "50000"
    assert (tmp_path / "cpu/leaf/cpu.cfs_period_us").read_text() == "100000"


def test_v1_usage_reads_oom_control_and_max_usage(tmp_path):
    mem, pids = tmp_path / "m", tmp_path / "p"
    mem.mkdir(), pids.mkdir()
    (mem / "memory.max_usage_in_bytes").write_text("999\n")
    (mem / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
    (pids / "pids.events").write_text("max 0\n")
    usage = Cgroup(CgroupMode.V1, {"memory": mem, "pids": pids}).usage()
    assert (usage.memory_peak, usage.oom_kills, usage.pids_limit_hits) == (999, 3, 0)


def test_create_failure_removes_partial_leaves(tmp_path):
    parents = {"memory": tmp_path / "memory", "pids": tmp_path / "missing-parent"}
    (tmp_path / "memory").mkdir()
    with pytest.raises(SandboxError, match="cannot create cgroup"):
        create_cgroup(CgroupSupport(CgroupMode.V1, parents), Limits(), name="leaf")
    assert not (tmp_path / "memory" / "leaf").exists()


def test_no_cgroup_is_an_error():
    with pytest.raises(SandboxError, match="no usable cgroup"):
        create_cgroup(CgroupSupport(CgroupMode.NONE, {}, "none here"), Limits())


def test_rlimit_fallback_sets_address_space_and_nproc():
    pid = os.fork()
    if pid == 0:
        apply_rlimits(Limits(memory_bytes=256 * 1024 * 1024, pids=77))
        ok = (resource.getrlimit(resource.RLIMIT_AS) == (256 * 1024 * 1024,) * 2
              and resource.getrlimit(resource.RLIMIT_NPROC) == (77, 77))
        os._exit(0 if ok else 1)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
