"""Pure sandbox logic: spec defaults, the bundle's config.json, validation, support detection, net, paths."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pylint_image.linter.errors import SandboxError, SandboxUnavailable
from pylint_image.runner.sandbox import Confinement, Limits, Network, OverlayRoot, SandboxSpec, start
from pylint_image.runner.sandbox.bundle import DOCKER_CAPS, BundleParts, build_config
from pylint_image.runner.sandbox.cgroups import cgroups_path
from pylint_image.runner.sandbox.net import ListeningSocket, decode_address, listening_sockets
from pylint_image.runner.sandbox.paths import secure_join
from pylint_image.runner.sandbox.support import (CgroupMode, CgroupSupport, IdMapMode, RuntimeInfo,
                                                 SandboxSupport, detect_cgroup, detect_runtime,
                                                 parse_proc_cgroup)

RUNC = RuntimeInfo("runc", "/usr/sbin/runc", "runc version 1.1.5")
ROOT_V1 = SandboxSupport(True, True, IdMapMode.HOST,
                         CgroupSupport(CgroupMode.V1, {"memory": Path("/m"), "pids": Path("/p")}),
                         overlay=True, runtime=RUNC)
ROOTLESS = SandboxSupport(False, True, IdMapMode.SINGLE, CgroupSupport(CgroupMode.NONE),
                          overlay=False, runtime=RUNC)
NOTHING = dataclasses.replace(ROOTLESS, userns=False, idmap=IdMapMode.NONE)
NO_RUNTIME = dataclasses.replace(ROOT_V1, runtime=None)
SPEC = SandboxSpec(rootfs=Path("/"), argv=("true",))
PARTS = BundleParts(Path("/b/rootfs"), Path("/b/etc"), "0123456789ab", "/pylint-image/x", None)


def test_spec_defaults_match_docker_like_limits():
    assert SPEC.limits == Limits(512 * 1024 * 1024, 512, 1.0)
    assert (SPEC.network, SPEC.uid, SPEC.cwd, SPEC.hostname) == (Network.LOOPBACK, 0, "/", None)
    assert SPEC.confinement == Confinement(None, unconfined=False, no_new_privileges=False)


def test_config_has_dockers_defaults_and_our_limits():
    config = build_config(SPEC, ROOT_V1, PARTS)
    process, linux = config["process"], config["linux"]
    assert set(process["capabilities"]) == {"bounding", "effective", "permitted"}   # no inheritable
    assert process["capabilities"]["bounding"] == list(DOCKER_CAPS)
    assert "noNewPrivileges" not in process and "rlimits" not in process
    assert process["env"] == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                              "HOSTNAME=0123456789ab"]
    assert linux["resources"]["memory"] == {"limit": 512 << 20, "swap": 1024 << 20}
    assert linux["resources"]["pids"] == {"limit": 512}
    assert linux["resources"]["cpu"] == {"quota": 100_000, "period": 100_000}
    assert linux["resources"]["devices"][0] == {"allow": False, "access": "rwm"}
    assert linux["cgroupsPath"] == "/pylint-image/x"
    assert {n["type"] for n in linux["namespaces"]} == {"mount", "network", "uts", "pid", "ipc", "cgroup"}
    assert "/proc/sys" in linux["readonlyPaths"] and "/proc/kcore" in linux["maskedPaths"]
    assert [m["destination"] for m in config["mounts"]][-3:] == ["/etc/resolv.conf", "/etc/hostname",
                                                                 "/etc/hosts"]
    assert not any(m["destination"] == "/tmp" for m in config["mounts"])   # /tmp as the image has it


def test_non_root_user_gets_only_the_bounding_set_and_its_groups():
    spec = dataclasses.replace(SPEC, uid=1000, gid=1000, groups=(27, 1000))
    process = build_config(spec, ROOT_V1, PARTS)["process"]
    assert set(process["capabilities"]) == {"bounding"}
    assert process["user"] == {"uid": 1000, "gid": 1000, "additionalGids": [27, 1000]}


def test_no_new_privileges_and_env_override():
    spec = dataclasses.replace(SPEC, env=(("PATH", "/x"),),
                               confinement=Confinement(no_new_privileges=True))
    process = build_config(spec, ROOT_V1, PARTS)["process"]
    assert process["noNewPrivileges"] is True
    assert process["env"][0] == "PATH=/x"


def test_rootless_config_maps_ids_and_falls_back_to_an_nproc_rlimit():
    parts = dataclasses.replace(PARTS, cgroups_path=None)
    config = build_config(SPEC, ROOTLESS, parts)
    linux = config["linux"]
    assert {"type": "user"} in linux["namespaces"]
    assert linux["uidMappings"][0]["containerID"] == 0 and linux["uidMappings"][0]["size"] == 1
    assert linux["resources"] == {} and "cgroupsPath" not in linux
    assert linux["sysctl"]["net.ipv4.ping_group_range"] == "0 0"   # only gid 0 is mapped
    assert [r["type"] for r in config["process"]["rlimits"]] == ["RLIMIT_NPROC"]
    assert "additionalGids" not in config["process"]["user"]   # setgroups is denied there
    sysfs = next(m for m in config["mounts"] if m["destination"] == "/sys")
    assert sysfs["type"] == "none" and "rbind" in sysfs["options"]


@pytest.mark.parametrize(("change", "support", "error", "message"), [
    ({"uid": 1000}, ROOTLESS, SandboxUnavailable, "uid 1000 .* needs a subuid map"),
    ({"rootfs": OverlayRoot((Path("/l"),))}, ROOTLESS, SandboxUnavailable, "overlay rootfs"),
    ({}, NOTHING, SandboxUnavailable, "needs root or unprivileged user namespaces"),
    ({}, NO_RUNTIME, SandboxUnavailable, "no OCI runtime: install runc"),
    ({"argv": ()}, ROOT_V1, SandboxError, "argv is empty"),
    ({"cwd": "app"}, ROOT_V1, SandboxError, "must be absolute"),
    ({"limits": Limits(memory_bytes=1024)}, ROOT_V1, SandboxError, "below"),
    ({"limits": Limits(pids=0)}, ROOT_V1, SandboxError, "pids limit"),
    ({"timeout": 0}, ROOT_V1, SandboxError, "timeout must be positive"),
    ({"hostname": "x" * 65}, ROOT_V1, SandboxError, "hostname"),
    ({"rootfs": Path("/nonexistent-rootfs")}, ROOT_V1, SandboxError, "not a directory"),
])
def test_validation_rejects_impossible_combinations(change, support, error, message):
    with pytest.raises(error, match=message):
        start(dataclasses.replace(SPEC, **change), support)


def test_cgroups_path_for_root_and_rootless():
    v1 = CgroupSupport(CgroupMode.V1, {"memory": Path("/m"), "pids": Path("/p")})
    v2 = CgroupSupport(CgroupMode.V2, {"memory": Path("/u"), "pids": Path("/u")})
    assert cgroups_path(v1, "abc", is_root=True) == "/pylint-image/abc"
    assert cgroups_path(v1, "abc", is_root=False) is None   # v1 is never delegated to a user
    assert cgroups_path(v2, "abc", is_root=False, own="/user.slice/me") == "/user.slice/me/pylint-image-abc"
    assert cgroups_path(CgroupSupport(CgroupMode.NONE), "abc", is_root=True) is None


def test_runc_is_the_default_and_crun_is_taken_when_asked(monkeypatch):
    monkeypatch.delenv("PYLINT_IMAGE_RUNTIME", raising=False)
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr("pylint_image.runner.sandbox.support._version", lambda path: "v")
    assert detect_runtime().name == "runc"
    assert detect_runtime("crun").name == "crun"
    monkeypatch.setenv("PYLINT_IMAGE_RUNTIME", "crun")
    assert detect_runtime().name == "crun"
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert detect_runtime() is None


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
