"""cgroup v1 and v2 file logic on fake cgroupfs trees (this host is v1; CI runners are v2)."""

from __future__ import annotations

from pathlib import Path

from pylint_image.runner.sandbox.cgroups import Cgroup, runtime_cgroup
from pylint_image.runner.sandbox.support import CgroupMode, CgroupSupport


def test_runtime_cgroup_dirs_follow_each_v1_hierarchy_mount():
    mounts = ("cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n"
              "cgroup /sys/fs/cgroup/pids cgroup rw,pids 0 0\n"
              "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\n")
    support = CgroupSupport(CgroupMode.V1, {"memory": Path("/sys/fs/cgroup/memory/job"),
                                            "pids": Path("/x"), "cpu": Path("/y")})
    cg = runtime_cgroup(support, "/pylint-image/abc", mounts)
    assert cg.dirs == {"memory": Path("/sys/fs/cgroup/memory/pylint-image/abc"),
                       "pids": Path("/sys/fs/cgroup/pids/pylint-image/abc"),
                       "cpu": Path("/sys/fs/cgroup/cpu,cpuacct/pylint-image/abc")}


def test_runtime_cgroup_on_v2_is_one_dir():
    support = CgroupSupport(CgroupMode.V2, {"memory": Path("/u"), "pids": Path("/u")})
    cg = runtime_cgroup(support, "/pylint-image/abc", "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n")
    assert cg.leaves == (Path("/sys/fs/cgroup/pylint-image/abc"),)


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


def test_v1_usage_reads_oom_control_and_max_usage(tmp_path):
    mem, pids = tmp_path / "m", tmp_path / "p"
    mem.mkdir(), pids.mkdir()
    (mem / "memory.max_usage_in_bytes").write_text("999\n")
    (mem / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
    (pids / "pids.events").write_text("max 0\n")
    usage = Cgroup(CgroupMode.V1, {"memory": mem, "pids": pids}).usage()
    assert (usage.memory_peak, usage.oom_kills, usage.pids_limit_hits) == (999, 3, 0)


