"""Docker's seccomp profile in the runtime spec's form: rules, bad inputs, and Docker as the oracle."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from pylint_image.linter.errors import SandboxUnavailable
from pylint_image.runner.sandbox import seccomp
from pylint_image.runner.sandbox.seccomp import (DOCKER_DEFAULT_CAPS, HOW_TO_GET, MAX_PROFILE_BYTES,
                                                 PROFILE_ENV, find_profile, host_kernel,
                                                 load_profile, native_arch, search_paths, to_oci)
from pylint_image.runner.sandbox import Confinement, SandboxSpec
from pylint_image.runner.sandbox.bundle import BundleParts, build_config
from pylint_image.runner.sandbox.support import detect_at
from tests.support.docker_images import BUSYBOX, docker_available, docker_build

ARCH_MAP = [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
            {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}]


def rule(name: str, **extra: Any) -> dict[str, Any]:
    """A one-syscall ALLOW rule with extra fields."""
    return {"names": [name], "action": "SCMP_ACT_ALLOW", **extra}


def profile(*rules: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A small current-format profile."""
    return {"defaultAction": "SCMP_ACT_ERRNO", "archMap": ARCH_MAP, "syscalls": list(rules), **extra}


def kept(prof: dict[str, Any], caps: tuple[str, ...] = (), arch: str = "amd64",
         kernel: tuple[int, int] = (6, 1)) -> list[str]:
    """The syscall names that survive conversion."""
    out = to_oci(prof, caps, arch=arch, kernel=kernel)
    return [n for r in out.get("syscalls", []) for n in r["names"]]


# ---- rules ----

def test_includes_caps_needs_every_listed_cap() -> None:
    prof = profile(rule("mount", includes={"caps": ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"]}))
    assert kept(prof, ("CAP_SYS_ADMIN",)) == []
    assert kept(prof, ("CAP_SYS_ADMIN", "CAP_SYS_PTRACE")) == ["mount"]


def test_excludes_caps_drops_on_any_listed_cap() -> None:
    prof = profile(rule("clone", excludes={"caps": ["CAP_SYS_ADMIN", "CAP_BPF"]}))
    assert kept(prof, ("CAP_CHOWN",)) == ["clone"]
    assert kept(prof, ("CAP_BPF",)) == []
    assert kept(prof, ("CAP_SYS_ADMIN",)) == []


def test_capabilities_given_in_any_spelling() -> None:
    prof = profile(rule("mount", includes={"caps": ["CAP_SYS_ADMIN"]}))
    for spelling in ("sys_admin", "SYS_ADMIN", "CAP_SYS_ADMIN", "cap_sys_admin"):
        assert kept(prof, (spelling,)) == ["mount"]


def test_profile_cap_names_must_be_exact() -> None:
    for bad in ("SYS_ADMIN", "cap_sys_admin", "CAP_sys_admin"):
        with pytest.raises(SandboxUnavailable, match="CAP_X"):
            to_oci(profile(rule("mount", includes={"caps": [bad]})), ())


def test_arch_conditions_use_go_names() -> None:
    prof = profile(rule("arch_prctl", includes={"arches": ["amd64", "x32"]}),
                   rule("sync_file_range2", includes={"arches": ["arm", "arm64"]}),
                   rule("clone", excludes={"arches": ["s390", "s390x"]}),
                   rule("bogus", includes={"arches": ["SCMP_ARCH_X86_64"]}))
    assert kept(prof, arch="amd64") == ["arch_prctl", "clone"]
    assert kept(prof, arch="arm64") == ["sync_file_range2", "clone"]
    assert kept(prof, arch="s390x") == []


def test_architectures_from_arch_map() -> None:
    assert to_oci(profile(), (), arch="amd64")["architectures"] == [
        "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    assert to_oci(profile(), (), arch="arm64")["architectures"] == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
    assert "architectures" not in to_oci(profile(), (), arch="s390x")
    assert "architectures" not in to_oci(profile(), (), arch="")


def test_min_kernel() -> None:
    prof = profile(rule("new", includes={"minKernel": "4.8"}), rule("old", excludes={"minKernel": "5.0"}),
                   rule("any", includes={"minKernel": ""}))
    assert kept(prof, kernel=(4, 7)) == ["old", "any"]
    assert kept(prof, kernel=(4, 8)) == ["new", "old", "any"]
    assert kept(prof, kernel=(5, 0)) == ["new", "any"]
    assert kept(prof, kernel=(10, 0)) == ["new", "any"]


@pytest.mark.parametrize("bad", ["0.0", "4", "4.8.1", "256.1", "4.x", "-4.8", " 4.8", "+4.8"])
def test_min_kernel_bad(bad: str) -> None:
    with pytest.raises(SandboxUnavailable, match="minKernel"):
        to_oci(profile(rule("x", includes={"minKernel": bad})), ())


def test_kernel_read_only_when_a_rule_needs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> tuple[int, int]:
        raise AssertionError("host kernel read")
    monkeypatch.setattr(seccomp, "host_kernel", boom)
    assert kept(profile(rule("read")), kernel=None) == ["read"]  # type: ignore[arg-type]
    with pytest.raises(AssertionError):
        to_oci(profile(rule("new", includes={"minKernel": "4.8"})), ())


def test_old_format() -> None:
    old = {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
           "syscalls": [{"name": "read", "action": "SCMP_ACT_ALLOW", "args": []},
                        {"name": "mount", "action": "SCMP_ACT_ALLOW", "args": None,
                         "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}
    assert to_oci(old, (), arch="arm64") == {
        "defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}


def test_name_and_names_or_both_arch_fields_refused() -> None:
    with pytest.raises(SandboxUnavailable, match="both 'name' and 'names'"):
        to_oci(profile({"name": "a", "names": ["b"], "action": "SCMP_ACT_ALLOW"}), ())
    with pytest.raises(SandboxUnavailable, match="both 'architectures' and 'archMap'"):
        to_oci(profile(architectures=["SCMP_ARCH_X86_64"]), ())


def test_json_quirks() -> None:
    prof = {"DefaultAction": "SCMP_ACT_ERRNO", "defaulterrnoret": 1, "ARCHMAP": ARCH_MAP, "syscalls": [
        {"NAMES": ["a"], "Action": "SCMP_ACT_ERRNO", "errnoRet": 0, "args": [], "comment": "x"},
        {"names": ["b"], "action": "SCMP_ACT_ALLOW", "errnoRet": None, "includes": None,
         "excludes": {"caps": None, "arches": None},
         "args": [{"Index": 1, "value": 5, "valueTwo": 0, "OP": "SCMP_CMP_EQ"},
                  {"index": 2, "value": 6, "valuetwo": 7, "op": "SCMP_CMP_MASKED_EQ"}]}]}
    assert to_oci(prof, (), arch="amd64") == {
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0},
                     {"names": ["b"], "action": "SCMP_ACT_ALLOW",
                      "args": [{"index": 1, "value": 5, "op": "SCMP_CMP_EQ"},
                               {"index": 2, "value": 6, "valueTwo": 7, "op": "SCMP_CMP_MASKED_EQ"}]}]}


def test_syscalls_omitted_when_none_survive() -> None:
    out = to_oci(profile(rule("mount", includes={"caps": ["CAP_SYS_ADMIN"]})), (), arch="amd64")
    assert "syscalls" not in out and "defaultErrnoRet" not in out


@pytest.mark.parametrize("bad", [{}, {"syscalls": []}, {"defaultAction": ""},
                                 profile({"names": [], "action": "SCMP_ACT_ALLOW"}),
                                 profile({"action": "SCMP_ACT_ALLOW"}),
                                 profile(rule("x", errnoRet=-1)), profile(rule("x", errnoRet=True)),
                                 profile(rule("x", args=[{"index": 0, "value": 1.5, "op": "EQ"}])),
                                 profile(syscalls={"names": ["x"]}), profile(archMap="x")])
def test_stricter_than_docker(bad: dict[str, Any]) -> None:
    with pytest.raises(SandboxUnavailable):
        to_oci(bad, ())


def test_native_arch_and_kernel() -> None:
    assert native_arch("x86_64") == "amd64"
    assert native_arch("aarch64") == "arm64"
    assert native_arch("i686") == "x86"
    assert native_arch("vax") == ""
    release = os.uname().release.split(".")
    assert host_kernel() == (int(release[0]), int(release[1].split("-")[0]))


def test_constants() -> None:
    assert len(DOCKER_DEFAULT_CAPS) == 14 and DOCKER_DEFAULT_CAPS[0] == "CAP_CHOWN"
    assert DOCKER_DEFAULT_CAPS[-1] == "CAP_AUDIT_WRITE" and MAX_PROFILE_BYTES == 4 * 1024 * 1024
    assert "\n" not in HOW_TO_GET and "--seccomp-profile" in HOW_TO_GET and "--unconfined" in HOW_TO_GET


# ---- finding and loading ----

def test_find_profile_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    gocode = Path("/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json")
    assert search_paths() == [Path("/usr/local/share/pylint-image/seccomp/default.json"),
                              Path("/usr/share/pylint-image/seccomp/default.json"), gocode,
                              tmp_path / "xdg/pylint-image/seccomp/default.json"]
    assert Path("/usr/share/containers/seccomp.json") not in search_paths()
    monkeypatch.setenv(PROFILE_ENV, str(tmp_path / "env.json"))
    assert find_profile(tmp_path / "missing.json") == tmp_path / "missing.json"
    assert find_profile() == tmp_path / "env.json"
    monkeypatch.delenv(PROFILE_ENV)
    monkeypatch.setattr(seccomp, "search_paths", lambda: [tmp_path / "a", tmp_path / "b", tmp_path / "c"])
    assert find_profile() is None
    (tmp_path / "c").write_text("{}")
    assert find_profile() == tmp_path / "c"
    (tmp_path / "b").symlink_to(tmp_path / "nowhere")  # broken: chosen, so it fails loudly
    assert find_profile() == tmp_path / "b"
    with pytest.raises(SandboxUnavailable, match=f"^{tmp_path / 'b'}: "):
        load_profile(tmp_path / "b")


def test_load_profile_formats(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(profile(rule("read"), rule("mount", includes={"caps": ["CAP_SYS_ADMIN"]}))))
    assert to_oci(load_profile(path), (), arch="amd64")["syscalls"] == [
        {"names": ["read"], "action": "SCMP_ACT_ALLOW"}]
    path.write_text('{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],'
                    ' "syscalls": [{"name": "read", "action": "SCMP_ACT_ALLOW"}]}')
    assert to_oci(load_profile(path), (), arch="amd64") == {
        "defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}


def _bad_inputs(tmp_path: Path) -> dict[str, Path]:
    """Each kind of bad profile file, created under tmp_path."""
    made = {"missing": tmp_path / "missing.json", "directory": tmp_path / "dir.json",
            "fifo": tmp_path / "fifo.json", "garbage": tmp_path / "garbage.json",
            "array": tmp_path / "array.json", "shape": tmp_path / "shape.json",
            "nan": tmp_path / "nan.json", "huge": tmp_path / "huge.json"}
    made["directory"].mkdir()
    os.mkfifo(made["fifo"])
    made["garbage"].write_bytes(bytes(range(256)) * 4)
    made["array"].write_text("[1, 2]")
    made["shape"].write_text('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": "read"}]}')
    made["nan"].write_text('{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": NaN}')
    with made["huge"].open("wb") as fh:
        fh.write(b'{"defaultAction": "SCMP_ACT_ERRNO", "comment": "')
        fh.write(b"x" * MAX_PROFILE_BYTES + b'"}')
    return made


def test_load_profile_bad_inputs(tmp_path: Path) -> None:
    reasons = {"missing": "cannot open", "directory": "not a regular file", "fifo": "not a regular file",
               "garbage": "not UTF-8", "array": "must be a JSON object", "shape": "names must be an array",
               "nan": "NaN", "huge": "larger than"}
    for kind, path in _bad_inputs(tmp_path).items():
        with pytest.raises(SandboxUnavailable) as info:
            load_profile(path)
        message = str(info.value)
        assert message.startswith(f"{path}: "), (kind, message)
        assert reasons[kind] in message and "\n" not in message, (kind, message)


# ---- Docker as the oracle ----

def _config_json(full_id: str) -> dict[str, Any]:
    """The config.json dockerd generated for a running container."""
    candidates = [Path("/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby") / full_id,
                  Path("/run/containerd/io.containerd.runtime.v2.task/moby") / full_id]
    for bundle in candidates:
        if (bundle / "config.json").is_file():
            return json.loads((bundle / "config.json").read_text())
    for found in Path("/run").rglob("config.json"):
        if found.parent.name == full_id:
            return json.loads(found.read_text())
    raise AssertionError(f"no config.json for container {full_id} under /run")


@pytest.fixture(scope="module")
def sleeper(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A FROM-scratch busybox image that sleeps; removed after the module's tests."""
    if not docker_available():
        pytest.skip("needs a running Docker engine")
    if find_profile() is None:
        pytest.skip("no Docker seccomp profile on this host: " + HOW_TO_GET)
    if not BUSYBOX.is_file():
        pytest.skip("needs Debian's busybox-static (/bin/busybox)")
    ctx = tmp_path_factory.mktemp("seccomp-image")
    (ctx / "busybox").write_bytes(BUSYBOX.read_bytes())
    (ctx / "busybox").chmod(0o755)
    (ctx / "Dockerfile").write_text('FROM scratch\nCOPY busybox /bin/busybox\n'
                                    'CMD ["/bin/busybox", "sleep", "30"]\n')
    tag = f"pylint-image-test/seccomp:{uuid.uuid4().hex[:12]}"
    docker_build(ctx, tag)
    try:
        yield tag
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=120)


def _docker_config(tag: str, *options: str) -> dict[str, Any]:
    """The whole runtime config Docker generated for `docker run -d OPTIONS tag`."""
    run = subprocess.run(["docker", "run", "-d", *options, tag], capture_output=True, text=True, timeout=120)
    full_id = run.stdout.strip()
    try:
        assert run.returncode == 0, run.stderr
        return _config_json(full_id)
    finally:
        if full_id:
            subprocess.run(["docker", "rm", "-f", full_id], capture_output=True, timeout=120)


def _docker_seccomp(tag: str, *options: str) -> tuple[dict[str, Any], list[str]]:
    """linux.seccomp and the bounding caps Docker generated for `docker run -d OPTIONS tag`."""
    config = _docker_config(tag, *options)
    return config["linux"]["seccomp"], config["process"]["capabilities"].get("bounding", [])


@pytest.mark.docker
@pytest.mark.parametrize("options", [(), ("--cap-add", "SYS_ADMIN", "--cap-add", "SYS_PTRACE"),
                                     ("--cap-drop", "ALL")], ids=["default", "cap-add", "cap-drop-all"])
def test_equals_docker(sleeper: str, options: tuple[str, ...]) -> None:
    docker, bounding = _docker_seccomp(sleeper, *options)
    assert docker == to_oci(load_profile(find_profile()), bounding)  # type: ignore[arg-type]
    if not options:
        assert tuple(bounding) == DOCKER_DEFAULT_CAPS
    if "SYS_ADMIN" in options:
        assert "CAP_SYS_ADMIN" in bounding and "CAP_SYS_PTRACE" in bounding
    if "ALL" in options:
        assert bounding == []


def _ours(spec: SandboxSpec) -> dict[str, Any]:
    parts = BundleParts(Path("/b/rootfs"), Path("/b/etc"), "0123456789ab", "/pylint-image/x", None)
    return build_config(spec, detect_at(uid=0), parts)


@pytest.mark.docker
@pytest.mark.parametrize(("options", "spec"), [
    ((), {}),
    (("--user", "1000:1000"), {"uid": 1000, "gid": 1000, "groups": (1000,)}),
    (("--security-opt", "no-new-privileges"), {"confinement": Confinement(no_new_privileges=True)}),
], ids=["root", "user", "no-new-privileges"])
def test_bundle_config_equals_dockers_field_by_field(sleeper: str, options: tuple[str, ...],
                                                     spec: dict[str, Any]) -> None:
    """config.json as bundle.py writes it, against the one dockerd wrote for the same run."""
    docker = _docker_config(sleeper, "--network", "none", *options)
    ours = _ours(SandboxSpec(rootfs=Path("/"), argv=("/bin/busybox", "sleep", "30"), **spec))
    assert ours["process"]["capabilities"] == docker["process"]["capabilities"]
    assert ours["process"]["user"] == docker["process"]["user"]
    assert ours["process"].get("noNewPrivileges", False) == docker["process"].get("noNewPrivileges", False)
    assert ours["process"]["env"][0] == docker["process"]["env"][0]   # Docker's default PATH
    linux, theirs = ours["linux"], docker["linux"]
    for key in ("maskedPaths", "readonlyPaths", "sysctl"):
        assert linux[key] == theirs[key], key
    assert linux["resources"]["devices"] == theirs["resources"]["devices"]
    # Ours adds a private cgroup namespace; Docker's (on this cgroup v1 host) may share the host's.
    assert {n["type"] for n in theirs["namespaces"]} <= {n["type"] for n in linux["namespaces"]}
    assert {n["type"] for n in linux["namespaces"]} - {n["type"] for n in theirs["namespaces"]} <= {"cgroup"}
    # Mounts: same destinations, types and options; only the generated /etc files' sources differ.
    def shape(config: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
        return [(m["destination"], m["type"], sorted(m.get("options", []))) for m in config["mounts"]]
    assert shape(ours) == shape(docker)
