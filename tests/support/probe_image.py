"""The containment probe (``probe.c`` plus Debian's static busybox) as a rootfs and as a Docker image.

The same files run under ``docker run`` and under pylint-image's sandbox; the tests compare
what the probe reports.  No registry is used: the image is ``FROM scratch`` + ``COPY``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.docker_images import docker_available, docker_build

PROBE_SOURCE = Path(__file__).resolve().with_name("probe.c")
BUSYBOX = Path("/bin/busybox")
APPLETS = ("sh", "cat", "echo", "sleep", "ls", "chmod", "rm", "mknod", "stat", "id", "true", "ps",
           "head", "wc", "grep", "dd", "unshare", "mount", "kill")
PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n"
GROUP = "root:x:0:\napp:x:1000:\n"
DOCKER_TIMEOUT = 120.0


def compile_probe(dest: Path) -> Path:
    """Compile probe.c statically into ``dest``; gcc and libc6-dev are part of the CI image."""
    if shutil.which("gcc") is None:
        raise RuntimeError("the containment probe needs gcc and libc6-dev (apt-get install gcc libc6-dev)")
    result = subprocess.run(["gcc", "-static", "-O2", "-o", str(dest), str(PROBE_SOURCE)],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"gcc failed on {PROBE_SOURCE}:\n{result.stderr[-4000:]}")
    return dest


def probe_rootfs(tmp: Path) -> Path:
    """A root filesystem directory: /probe, static busybox and its applets, passwd, group, /root, /tmp."""
    if not BUSYBOX.is_file():
        raise RuntimeError("the containment probe needs Debian's busybox-static (/bin/busybox)")
    root = tmp / "probe-rootfs"
    (root / "bin").mkdir(parents=True)
    compile_probe(root / "probe")
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    for applet in APPLETS:
        (root / "bin" / applet).symlink_to("busybox")
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text(PASSWD)
    (root / "etc" / "group").write_text(GROUP)
    (root / "tmp").mkdir()
    (root / "root").mkdir()
    for path in (root, root / "bin", root / "etc"):
        path.chmod(0o755)
    (root / "root").chmod(0o700)
    (root / "tmp").chmod(0o1777)
    return root


def _image_exists(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True,
                          timeout=DOCKER_TIMEOUT).returncode == 0


def probe_docker_image(tag: str) -> str:
    """Build ``tag`` FROM scratch with exactly the files of :func:`probe_rootfs` (reused when present)."""
    if not docker_available():
        pytest.skip("needs a running Docker engine")
    if _image_exists(tag):
        return tag
    with tempfile.TemporaryDirectory(prefix="pylint-image-probe-ctx-") as tmp:
        context = Path(tmp)
        probe_rootfs(context)
        # COPY keeps modes and symlinks; every owner becomes 0:0, as in probe_rootfs (run as root).
        (context / "Dockerfile").write_text('FROM scratch\nCOPY probe-rootfs/ /\nCMD ["/probe", "report"]\n')
        docker_build(context, tag)
    return tag


def probe_tag() -> str:
    """An image tag for this test session: the probe source's hash plus this process's id."""
    digest = hashlib.sha256(PROBE_SOURCE.read_bytes()).hexdigest()[:12]
    return f"pylint-image-test/probe:{digest}-{os.getpid()}"


def remove_image(tag: str) -> None:
    """Remove ``tag`` (no error when it is already gone)."""
    subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=DOCKER_TIMEOUT)


@dataclass
class DockerRun:
    """What a finished ``docker run`` left: status, output, and the OOMKilled flag."""

    exit_code: int
    stdout: bytes
    stderr: bytes
    oom_killed: bool


def docker_run(image: str, options: tuple[str, ...], argv: tuple[str, ...],
               timeout: float = DOCKER_TIMEOUT) -> DockerRun:
    """``docker run`` ``argv`` in ``image`` with ``options``; the container is always removed."""
    name = f"pylint-image-probe-{uuid.uuid4().hex[:12]}"
    try:
        done = subprocess.run(["docker", "run", "--name", name, *options, image, *argv],
                              capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        inspect = subprocess.run(["docker", "inspect", "-f", "{{.State.OOMKilled}}", name],
                                 capture_output=True, text=True, timeout=DOCKER_TIMEOUT)
        return DockerRun(done.returncode, done.stdout, done.stderr, inspect.stdout.strip() == "true")
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=DOCKER_TIMEOUT)


class DockerContainer:
    """A detached ``docker run -d`` container for ``docker exec``; removed on exit."""

    def __init__(self, image: str, options: tuple[str, ...], argv: tuple[str, ...]) -> None:
        self.name = f"pylint-image-probe-{uuid.uuid4().hex[:12]}"
        started = subprocess.run(["docker", "run", "-d", "--name", self.name, *options, image, *argv],
                                 capture_output=True, text=True, timeout=DOCKER_TIMEOUT)
        if started.returncode != 0:
            self.close()
            raise AssertionError(f"docker run -d failed: {started.stderr[-2000:]}")

    def exec(self, argv: tuple[str, ...], timeout: float = DOCKER_TIMEOUT) -> subprocess.CompletedProcess[bytes]:
        """``docker exec`` ``argv`` in the container."""
        return subprocess.run(["docker", "exec", self.name, *argv], capture_output=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def close(self) -> None:
        """Remove the container."""
        subprocess.run(["docker", "rm", "-f", self.name], capture_output=True, timeout=DOCKER_TIMEOUT)

    def __enter__(self) -> DockerContainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse_report(stdout: bytes, who: str) -> dict[str, Any]:
    """The probe's JSON object, or an assertion naming who printed something else."""
    try:
        report = json.loads(stdout)
    except ValueError as exc:
        raise AssertionError(f"{who}: the probe did not print one JSON object ({exc}): {stdout[-2000:]!r}")
    assert isinstance(report, dict), f"{who}: {report!r}"
    return report


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as one ``a / b / c -> leaf`` mapping (lists stay leaves)."""
    if not isinstance(value, dict):
        return {prefix: value}
    found: dict[str, Any] = {}
    for key, item in value.items():
        found |= flatten(item, f"{prefix} / {key}" if prefix else key)
    return found


def differences(docker: Any, ours: Any) -> list[str]:
    """Every field whose value differs, as ``field: docker=... ours=...`` lines."""
    left, right = flatten(docker), flatten(ours)
    missing = object()
    lines = []
    for field in sorted(left.keys() | right.keys()):
        a, b = left.get(field, missing), right.get(field, missing)
        if a != b:
            show = lambda v: "<absent>" if v is missing else json.dumps(v)  # noqa: E731
            lines.append(f"{field}: docker={show(a)} ours={show(b)}")
    return lines
