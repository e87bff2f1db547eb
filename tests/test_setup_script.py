"""scripts/setup.sh as root and as a user, with stand-ins for id, sudo, apt-get and python.

The README runs ``scripts/setup.sh`` for real (tests/test_readme.py); this test covers what a
machine with every package present cannot show: which system packages it installs, whether it
goes through sudo (only when not root), and the one-line error without root or sudo.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

FAKE_PYTHON = """#!/bin/sh
echo "python $*" >>"$LOG"
case "$*" in
  *version_info*) exit 0 ;;
  *ensurepip*) [ -e "$STATE/python3-venv" ]; exit $? ;;
  "-m venv .venv")
    mkdir -p .venv/bin && cp "$0" .venv/bin/python
    printf '#!/bin/sh\\necho "pylint-image 0.1.0"\\n' >.venv/bin/pylint-image
    chmod +x .venv/bin/pylint-image ;;
esac
exit 0
"""
FAKE_ID = '#!/bin/sh\necho "${FAKE_UID}"\n'
FAKE_SUDO = '#!/bin/sh\necho "sudo $*" >>"$LOG"\nFAKE_UID=0 exec "$@"\n'
FAKE_APT_GET = '#!/bin/sh\necho "apt-get uid=$(id -u) $*" >>"$LOG"\nfor p in "$@"; do touch "$STATE/$p"; done\n'
FAKE_PROFILE_SCRIPT = '#!/bin/sh\necho "install-seccomp-profile uid=$(id -u) $*" >>"$LOG"\n'
REAL_TOOLS = ("dirname", "env", "head", "mkdir", "cp", "chmod", "cat", "sed", "touch")


@dataclass
class Setup:
    returncode: int
    log: list[str]
    stdout: str
    stderr: str


def _executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


def run_setup(tmp_path: Path, *args: str, uid: int, sudo: bool, venv_present: bool = False,
              runc: bool = False, profile_present: bool = False) -> Setup:
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "setup.sh", checkout / "scripts" / "setup.sh")
    _executable(checkout / "scripts" / "install-seccomp-profile.sh", FAKE_PROFILE_SCRIPT)
    bin_dir = tmp_path / "bin"   # the whole PATH: stand-ins and a few real tools, no real sudo or apt-get
    bin_dir.mkdir()
    for tool in REAL_TOOLS:
        real = shutil.which(tool)
        assert real, tool
        (bin_dir / tool).symlink_to(real)
    _executable(bin_dir / "id", FAKE_ID)
    _executable(bin_dir / "apt-get", FAKE_APT_GET)
    if sudo:
        _executable(bin_dir / "sudo", FAKE_SUDO)
    if runc:
        _executable(bin_dir / "runc", "#!/bin/sh\n")
    state = tmp_path / "state"
    state.mkdir()
    if venv_present:
        (state / "python3-venv").touch()
    profile = tmp_path / "profile.json"
    if profile_present:
        profile.write_text("{}", encoding="utf-8")
    python = tmp_path / "python3"
    _executable(python, FAKE_PYTHON)
    log = tmp_path / "log"
    log.touch()
    env = {"PATH": str(bin_dir), "LOG": str(log), "STATE": str(state), "FAKE_UID": str(uid),
           "PYTHON": str(python), "PYLINT_IMAGE_SECCOMP_PROFILE": str(profile), "HOME": str(tmp_path)}
    sh = shutil.which("sh")
    assert sh
    result = subprocess.run([sh, str(checkout / "scripts" / "setup.sh"), *args], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    return Setup(result.returncode, log.read_text(encoding="utf-8").splitlines(), result.stdout, result.stderr)


def _pip(extras: str = "") -> str:
    return f"python -m pip install -q --disable-pip-version-check -e .{extras}"


def test_as_root_installs_python3_venv_without_sudo(tmp_path: Path) -> None:
    done = run_setup(tmp_path, uid=0, sudo=False)
    assert done.returncode == 0, done.stderr
    assert [line for line in done.log if line.startswith(("sudo", "apt-get"))] == [
        "apt-get uid=0 update -qq",
        "apt-get uid=0 install -y -qq python3-venv",
    ]
    assert "-m venv .venv" in " ".join(done.log) and _pip() in done.log
    assert done.stdout.strip() == "set up: .venv/bin/pylint-image, pylint-image 0.1.0"


def test_as_a_user_it_goes_through_sudo(tmp_path: Path) -> None:
    done = run_setup(tmp_path, uid=1000, sudo=True)
    assert done.returncode == 0, done.stderr
    assert [line for line in done.log if line.startswith(("sudo", "apt-get"))] == [
        "sudo apt-get update -qq",
        "apt-get uid=0 update -qq",
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv",
        "apt-get uid=0 install -y -qq python3-venv",
    ]


def test_nothing_missing_needs_no_root(tmp_path: Path) -> None:
    done = run_setup(tmp_path, uid=1000, sudo=True, venv_present=True)
    assert done.returncode == 0, done.stderr
    assert not [line for line in done.log if line.startswith(("sudo", "apt-get"))]


def test_a_user_without_sudo_gets_one_error_line(tmp_path: Path) -> None:
    done = run_setup(tmp_path, uid=1000, sudo=False)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "setup.sh: error: 'apt-get update -qq' needs root: run this as root, or install sudo"]
    assert not [line for line in done.log if line.startswith("apt-get")]


@pytest.mark.parametrize("uid", [0, 1000])
def test_verify_installs_runc_and_the_seccomp_profile_when_missing(tmp_path: Path, uid: int) -> None:
    done = run_setup(tmp_path, "--verify", uid=uid, sudo=True, venv_present=True)
    assert done.returncode == 0, done.stderr
    profile = tmp_path / "profile.json"
    as_root = [
        "apt-get uid=0 update -qq",
        "apt-get uid=0 install -y -qq runc",
        f"install-seccomp-profile uid=0 {profile}",
    ]
    through_sudo = [
        "sudo apt-get update -qq", as_root[0],
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc", as_root[1],
        f"sudo scripts/install-seccomp-profile.sh {profile}", as_root[2],
    ]
    root_lines = [line for line in done.log if line.startswith(("sudo", "apt-get", "install-seccomp-profile"))]
    assert root_lines == (through_sudo if uid else as_root)


def test_verify_with_everything_present_changes_nothing(tmp_path: Path) -> None:
    done = run_setup(tmp_path, "--verify", uid=1000, sudo=True, venv_present=True, runc=True, profile_present=True)
    assert done.returncode == 0, done.stderr
    assert not [line for line in done.log if line.startswith(("sudo", "apt-get", "install-seccomp-profile"))]


def test_test_extra_and_unknown_options(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    done = run_setup(tmp_path / "a", "--test", uid=1000, sudo=True, venv_present=True)
    assert done.returncode == 0, done.stderr
    assert _pip("[test]") in done.log
    (tmp_path / "b").mkdir()
    bad = run_setup(tmp_path / "b", "--tests", uid=1000, sudo=True, venv_present=True)
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == ["setup.sh: error: unknown option '--tests' (use --test, --verify)"]
    assert bad.log == []


def test_setup_script_is_executable_in_git() -> None:
    """The README runs it as ``scripts/setup.sh``: git must record it as executable."""
    mode = subprocess.run(["git", "ls-files", "-s", "scripts/setup.sh", "scripts/action-run.sh"], cwd=REPO,
                          capture_output=True, text=True, check=True, timeout=30).stdout.split()
    assert mode[0::4] == ["100755", "100755"], mode
    assert os.access(REPO / "scripts" / "setup.sh", os.X_OK)
