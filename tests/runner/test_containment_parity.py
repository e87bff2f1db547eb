"""Containment parity: the probe sees and may do exactly what it sees and may do under ``docker run``.

Docker is the oracle: each case runs ``/probe report`` under ``docker run`` (default settings,
no network, the same memory, pids and CPU limits) and under our sandbox, as PID 1 and through
exec, and compares the JSON reports section by section (see ``tests/support/probe.c``).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pylint_image.runner.sandbox import (Confinement, Limits, OverlayRoot, SandboxSpec, SandboxSupport,
                                         run, start)
from tests.support.probe_image import DockerContainer, differences, docker_run, parse_report

pytestmark = [pytest.mark.sandbox, pytest.mark.docker, pytest.mark.usefixtures("no_leaks")]

LIMITS = Limits(memory_bytes=256 << 20, pids=64, cpus=1.0)
DOCKER_LIMITS = ("--network", "none", "--memory", "256m", "--pids-limit", "64", "--cpus", "1")
SECTIONS = ("status", "ids", "env", "rlimits", "masked", "readonly", "mknod", "dev", "mounts",
            "syscalls", "sysctl", "cgroup")


@dataclass(frozen=True)
class Case:
    """One way of starting the container, said the Docker way and the sandbox way."""

    docker: tuple[str, ...] = ()
    spec: dict[str, Any] = field(default_factory=dict)


CASES = {
    "root": Case(),
    "user-1000": Case(("--user", "1000:1000"), {"uid": 1000, "gid": 1000, "groups": (1000,)}),
    "no-new-privileges": Case(("--security-opt", "no-new-privileges"),
                              {"confinement": Confinement(no_new_privileges=True)}),
}
MODES = ("run", "exec")


@pytest.fixture(scope="module")
def reports() -> dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]]:
    """(case, mode) -> (Docker's report, ours), filled by the first test that needs it."""
    return {}


def sandbox_root(support: SandboxSupport, base: Path, tmp: Path) -> Path | OverlayRoot:
    """The probe rootfs as verify mounts an image (an overlay), or a private copy where it cannot."""
    if support.overlay:
        return OverlayRoot((base,))
    return Path(shutil.copytree(base, tmp / "rootfs", symlinks=True))


def observe(case: Case, mode: str, image: str, root: Path | OverlayRoot) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run ``/probe report`` under Docker and under the sandbox; return both reports."""
    if case.spec.get("uid") and os.geteuid() != 0:
        pytest.skip("another container uid needs root (rootless mode maps only the caller)")
    spec = SandboxSpec(rootfs=root, argv=("/probe", "report"), limits=LIMITS, **case.spec)
    if mode == "run":
        done = docker_run(image, ("--rm", *DOCKER_LIMITS, *case.docker), ("/probe", "report"))
        assert done.exit_code == 0, done.stderr[-2000:]
        docker = done.stdout
        ours = run(spec)
    else:
        sleeper = ("/bin/sleep", "300")
        with DockerContainer(image, (*DOCKER_LIMITS, *case.docker), sleeper) as container:
            execed = container.exec(("/probe", "report"))
        assert execed.returncode == 0, execed.stderr[-2000:]
        docker = execed.stdout
        with start(SandboxSpec(rootfs=root, argv=sleeper, limits=LIMITS, **case.spec)) as box:
            ours = box.exec_in(("/probe", "report"))
    assert (ours.exit_code, ours.setup_error) == (0, None), ours.stderr[-2000:]
    return parse_report(docker, "docker"), parse_report(ours.stdout, "sandbox")


@pytest.mark.parametrize("section", SECTIONS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(CASES))
def test_probe_sees_what_it_sees_under_docker(
        case: str, mode: str, section: str, support: SandboxSupport, probe_image: str, probe_root: Path,
        reports: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]], tmp_path: Path) -> None:
    """Each section of the probe's report equals Docker's, field by field."""
    if (case, mode) not in reports:
        reports[case, mode] = observe(CASES[case], mode, probe_image, sandbox_root(support, probe_root, tmp_path))
    docker, ours = reports[case, mode]
    assert section in docker, f"the probe printed no {section!r} section under docker: {sorted(docker)}"
    diff = differences(docker[section], ours.get(section))
    assert not diff, (f"{case}/{mode}/{section}: the sandbox differs from docker run in "
                      f"{len(diff)} field(s):\n  " + "\n  ".join(diff))


def test_probe_reports_every_section(support: SandboxSupport, probe_image: str, probe_root: Path,
                                     tmp_path: Path) -> None:
    """The sections compared above are all the probe prints: none is left unchecked."""
    docker, ours = observe(CASES["root"], "run", probe_image, sandbox_root(support, probe_root, tmp_path))
    assert tuple(docker) == SECTIONS
    assert tuple(ours) == SECTIONS
