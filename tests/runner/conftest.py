"""Fixtures for the runner tests: a busybox rootfs, the containment probe, sandbox support gating, leak detection."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pylint_image.runner.sandbox import SandboxSupport, detect
from pylint_image.runner.sandbox import cleanup
from tests.support.sandbox_leaks import child_pids, leftovers
from tests.support.probe_image import probe_docker_image, probe_rootfs, probe_tag, remove_image
from tests.support.sandbox_rootfs import make_busybox_rootfs


@pytest.fixture
def support() -> SandboxSupport:
    """This host's sandbox support; skips the test only when the sandbox cannot run at all."""
    found = detect()
    if not found.usable:
        pytest.skip("sandbox unavailable: needs root or unprivileged user namespaces")
    return found


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    """A fresh busybox root filesystem directory."""
    return make_busybox_rootfs(tmp_path / "rootfs")


@pytest.fixture
def no_leaks(support: SandboxSupport, monkeypatch: pytest.MonkeyPatch):
    """Fail the test if a sandbox it started left a process, mount, cgroup, container or bundle."""
    started: list[object] = []
    register = cleanup.register

    def track(item: object) -> None:
        started.append(item)
        register(item)

    monkeypatch.setattr(cleanup, "register", track)
    children = child_pids(os.getpid())
    yield started
    leaked = {item for box in started for item in leftovers(box)}
    leaked |= {f"process {p}" for p in child_pids(os.getpid()) - children}
    assert leaked == set(), f"leaked: {sorted(leaked)}"


@pytest.fixture(scope="session")
def probe_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The probe's root filesystem, built once per session."""
    return probe_rootfs(tmp_path_factory.mktemp("probe"))


@pytest.fixture(scope="session")
def probe_image() -> Iterator[str]:
    """The probe as a FROM-scratch Docker image, built once per session and removed afterwards."""
    tag = probe_tag()
    try:
        yield probe_docker_image(tag)
    finally:
        remove_image(tag)
