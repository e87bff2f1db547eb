"""Unit tests of the RUN-rule helpers in rules/_shared (shell.py, rpm.py, insecure.py)."""

from __future__ import annotations

import pytest

from pylint_image.rules._shared import insecure, rpm
from pylint_image.rules._shared.shell import flags, has_any_flag


def test_flags_split_clusters_and_long_options_like_hadolint() -> None:
    assert flags(["-qO-", "--progress=dot:giga", "--", "x"]) == {"q", "O", "-", "progress"}
    assert has_any_flag(["-sSLk", "url"], "k") and not has_any_flag(["-o", "k"], "k")


@pytest.mark.parametrize(("package", "pinned"), [
    ("nginx-1.20.1", True), ("python3-3.9.16-1.el9", True), ("pkg-2:1.2-3.el8", True), ("nodejs:18", True),
    ("x-${VER}", True), ("/tmp/a.rpm", True), ("@development", True),
    ("java-11-openjdk", False), ("gcc-c++", False), ("yum-utils", False), ("nginx", False),
])
def test_rpm_pins(package: str, pinned: bool) -> None:
    assert rpm.is_pinned("dnf", package) is pinned


def test_rpm_recognize_skips_global_options_and_their_values() -> None:
    found = rpm.recognize("dnf", ["--setopt", "tsflags=nodocs", "-y", "install", "nginx", "--exclude", "x"])
    assert found is not None and (found.verb, found.operands) == ("install", ("nginx",))
    assert rpm.is_pinned("zypper", "curl>=8") and not rpm.is_pinned("zypper", "curl")


@pytest.mark.parametrize(("name", "args", "hit"), [
    ("curl", ["-fsSLk", "https://x"], True), ("curl", ["-fsSL", "https://x"], False),
    ("git", ["-c", "http.https://x.sslVerify=false", "clone", "u"], True),
    ("git", ["config", "--global", "http.sslverify", "true"], False),
    ("npm", ["config", "set", "strict-ssl=false"], True), ("pip3", ["install", "--trusted-host", "h", "x"], True),
    ("dnf", ["config-manager", "--setopt=repo.sslverify=0"], True),
])
def test_tls_commands(name: str, args: list[str], hit: bool) -> None:
    assert (insecure.tls_command(name, args) is not None) is hit


def test_tls_variables() -> None:
    assert insecure.tls_variable("GIT_SSL_NO_VERIFY", "false")  # any value disables verification
    assert insecure.tls_variable("npm_config_strict_ssl", "false")
    assert not insecure.tls_variable("NODE_TLS_REJECT_UNAUTHORIZED", "1")


@pytest.mark.parametrize(("name", "args", "hit"), [
    ("apt-get", ["install", "-y", "--allow-unauthenticated", "x"], True),
    ("echo", ["deb [ trusted=yes ] https://x stable main"], True),
    ("echo", ["deb [ trusted=yes ] file:///tmp/debs ./"], False),
    ("apk", ["add", "--allow-untrusted", "/tmp/x.apk"], False),
    ("zypper", ["--no-gpg-checks", "install", "x"], True), ("rpm", ["-i", "--nodigest", "x.rpm"], True),
])
def test_unsigned_commands(name: str, args: list[str], hit: bool) -> None:
    assert (insecure.unsigned_command(name, args) is not None) is hit
