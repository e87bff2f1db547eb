"""Pure sandbox logic: spec defaults, plan validation and order, support detection, net, paths."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pylint_image.linter.errors import SandboxError, SandboxUnavailable
from pylint_image.runner.sandbox import Limits, Network, OverlayRoot, SandboxSpec
from pylint_image.runner.sandbox.net import ListeningSocket, decode_address, listening_sockets
from pylint_image.runner.sandbox.paths import secure_join
from pylint_image.runner.sandbox.plan import Actor, StepKind, build_plan
from pylint_image.runner.sandbox.support import (CgroupMode, CgroupSupport, IdMapMode,
                                                 SandboxSupport, detect_cgroup, parse_proc_cgroup)

ROOT_V1 = SandboxSupport(True, True, IdMapMode.HOST,
                         CgroupSupport(CgroupMode.V1, {"memory": Path("/m"), "pids": Path("/p")}),
                         overlay=True, pivot_root=True)
ROOTLESS = SandboxSupport(False, True, IdMapMode.SINGLE, CgroupSupport(CgroupMode.NONE),
                          overlay=False, pivot_root=True)
NOTHING = dataclasses.replace(ROOTLESS, userns=False, idmap=IdMapMode.NONE)
SPEC = SandboxSpec(rootfs=Path("/r"), argv=("true",))


def test_spec_defaults_match_docker_like_limits():
    assert SPEC.limits == Limits(512 * 1024 * 1024, 512, 1.0)
    assert (SPEC.network, SPEC.uid, SPEC.cwd, SPEC.hostname) == (Network.LOOPBACK, 0, "/", "sandbox")


def test_plan_orders_cgroup_join_before_go_and_pivot_after_binds():
    plan = build_plan(SPEC, ROOT_V1)
    kinds = [s.kind for s in plan.steps]
    assert kinds.index(StepKind.JOIN_CGROUP) < kinds.index(StepKind.SEND_GO) < kinds.index(
        StepKind.FORK_PID1) < kinds.index(StepKind.MOUNT_PROC)
    assert kinds.index(StepKind.BIND_ETC) < kinds.index(StepKind.PIVOT_ROOT)
    assert kinds.index(StepKind.DROP_CAPS) < kinds.index(StepKind.SET_USER) < kinds.index(
        StepKind.NO_NEW_PRIVS)
    assert kinds[-1] is StepKind.EXEC
    assert StepKind.WRITE_IDMAPS not in kinds and StepKind.SET_RLIMITS not in kinds
    assert not plan.user_namespace and not plan.rlimit_fallback
    assert all(step.why for step in plan.steps)


def test_rootless_plan_maps_ids_and_falls_back_to_rlimits():
    plan = build_plan(SPEC, ROOTLESS)
    assert plan.user_namespace and plan.rlimit_fallback
    assert StepKind.WRITE_IDMAPS in plan.kinds(Actor.PARENT)
    assert StepKind.SET_RLIMITS in plan.kinds(Actor.MONITOR)
    assert StepKind.CREATE_CGROUP not in plan.kinds(Actor.PARENT)
    assert any("rlimit" in note for note in plan.notes)
    assert any("single-id" in note for note in plan.notes)


@pytest.mark.parametrize(("change", "support", "error", "message"), [
    ({"uid": 1000}, ROOTLESS, SandboxUnavailable, "uid 1000 .* needs a subuid map"),
    ({"rootfs": OverlayRoot((Path("/l"),))}, ROOTLESS, SandboxUnavailable, "overlay rootfs"),
    ({}, NOTHING, SandboxUnavailable, "needs root or unprivileged user namespaces"),
    ({"argv": ()}, ROOT_V1, SandboxError, "argv is empty"),
    ({"cwd": "app"}, ROOT_V1, SandboxError, "must be absolute"),
    ({"limits": Limits(memory_bytes=1024)}, ROOT_V1, SandboxError, "below"),
    ({"limits": Limits(pids=0)}, ROOT_V1, SandboxError, "pids limit"),
    ({"timeout": 0}, ROOT_V1, SandboxError, "timeout must be positive"),
    ({"hostname": "x" * 65}, ROOT_V1, SandboxError, "hostname"),
])
def test_plan_rejects_impossible_combinations(change, support, error, message):
    with pytest.raises(error, match=message):
        build_plan(dataclasses.replace(SPEC, **change), support)


def test_plan_notes_unenforced_cpu_limit():
    assert any("cpu limit not enforced" in n for n in build_plan(SPEC, ROOT_V1).notes)
    no_limits = dataclasses.replace(SPEC, limits=Limits(None, None, None))
    assert build_plan(no_limits, ROOTLESS).rlimit_fallback is False


def test_parse_proc_cgroup_hybrid():
    text = "9:name=systemd:/\n8:pids:/\n4:memory:/a/b\n1:cpu,cpuacct:/c\n0::/\n"
    assert parse_proc_cgroup(text) == {"systemd": "/", "pids": "/", "memory": "/a/b",
                                       "cpu": "/c", "cpuacct": "/c", "": "/"}


def _fake_v1(tmp: Path) -> str:
    lines = []
    for ctrl in ("memory", "pids", "cpu"):
        (tmp / ctrl / "job").mkdir(parents=True)
        lines.append(f"cgroup {tmp / ctrl} cgroup rw,relatime,{ctrl} 0 0")
    (tmp / "unified").mkdir()
    (tmp / "unified" / "cgroup.controllers").write_text("hugetlb\n")
    lines.append(f"cgroup2 {tmp / 'unified'} cgroup2 rw 0 0")
    return "\n".join(lines) + "\n"


def test_hybrid_host_with_hugetlb_only_unified_is_v1(tmp_path):
    found = detect_cgroup(_fake_v1(tmp_path), "4:memory:/job\n8:pids:/\n1:cpu:/\n0::/\n", True)
    assert found.mode is CgroupMode.V1
    assert found.parents == {"memory": tmp_path / "memory" / "job", "pids": tmp_path / "pids",
                             "cpu": tmp_path / "cpu"}


def _fake_v2(tmp: Path, root_ctrl: str, own_subtree: str) -> str:
    (tmp / "user.slice" / "me").mkdir(parents=True)
    (tmp / "cgroup.controllers").write_text(root_ctrl)
    (tmp / "cgroup.subtree_control").write_text("")
    (tmp / "user.slice" / "me" / "cgroup.subtree_control").write_text(own_subtree)
    return f"cgroup2 {tmp} cgroup2 rw,nsdelegate 0 0\n"


def test_v2_root_uses_hierarchy_root(tmp_path):
    mounts = _fake_v2(tmp_path, "cpuset cpu io memory pids\n", "")
    found = detect_cgroup(mounts, "0::/user.slice/me\n", True)
    assert found.mode is CgroupMode.V2 and set(found.parents.values()) == {tmp_path}
    assert set(found.parents) == {"memory", "pids", "cpu"}


def test_v2_rootless_needs_delegated_controllers(tmp_path):
    mounts = _fake_v2(tmp_path, "memory pids\n", "memory pids\n")
    found = detect_cgroup(mounts, "0::/user.slice/me\n", False)
    assert found.mode is CgroupMode.V2 and found.parents["memory"] == tmp_path / "user.slice/me"
    assert not found.has("cpu")
    undelegated = _fake_v2(tmp_path / "b", "memory pids\n", "cpu\n")
    assert detect_cgroup(undelegated, "0::/user.slice/me\n", False).mode is CgroupMode.NONE


def test_decode_addresses():
    assert decode_address("0100007F", 4) == "127.0.0.1"
    assert decode_address("00000000000000000000000001000000", 6) == "::1"
    assert decode_address("0000000000000000FFFF00000100007F", 6) == "::ffff:127.0.0.1"


def test_listening_sockets_from_proc_tables(tmp_path):
    head = "  sl  local_address rem_address   st\n"
    (tmp_path / "tcp").write_text(head + "0: 00000000:1F90 00000000:0000 0A\n"
                                  "1: 0100007F:2382 00000000:0000 0A\n"
                                  "2: 0100007F:1F90 0100007F:A000 01\n")
    (tmp_path / "tcp6").write_text(head + "0: 00000000000000000000000000000000:0050 "
                                   "00000000000000000000000000000000:0000 0A\n")
    (tmp_path / "udp").write_text(head + "0: 00000000:0035 00000000:0000 07\n")
    found = listening_sockets(tmp_path)
    assert found == (ListeningSocket("tcp", 6, "::", 80), ListeningSocket("tcp", 4, "0.0.0.0", 8080),
                     ListeningSocket("tcp", 4, "127.0.0.1", 9090), ListeningSocket("udp", 4, "0.0.0.0", 53))
    assert [s.wildcard for s in found] == [True, True, False, True]
    assert [s.loopback for s in found] == [False, False, True, False]
    assert ListeningSocket("tcp", 6, "::ffff:127.0.0.1", 1).loopback


def test_secure_join_never_leaves_root(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "abs").symlink_to("/etc/passwd")
    (tmp_path / "up").symlink_to("../../../../")
    (tmp_path / "loop").symlink_to("loop")
    assert secure_join(tmp_path, "/etc/abs") == tmp_path / "etc" / "passwd"
    assert secure_join(tmp_path, "up/etc/hosts") == tmp_path / "etc" / "hosts"
    assert secure_join(tmp_path, "../../x") == tmp_path / "x"
    with pytest.raises(OSError, match="too many symlinks"):
        secure_join(tmp_path, "loop/x")
