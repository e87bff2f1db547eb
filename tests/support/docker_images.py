"""Build tiny real images with the local Docker engine, without any registry.

Docker Hub is unreachable here, so every base image is made from Debian's static
busybox (``FROM scratch`` + ``/bin/busybox``).  Tests call :func:`busybox_base` and
use the returned tag in their own ``FROM`` lines.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

BUSYBOX = Path("/bin/busybox")
BASE_TAG = "pylint-image-test/busybox:1"

# The applets a base image needs to behave like a tiny distribution: a shell, core
# utilities, and the servers the runner tests use (httpd, nc).
_APPLETS = ("sh", "ls", "cat", "echo", "sleep", "true", "false", "env", "id", "mkdir", "rm",
            "cp", "mv", "chmod", "chown", "ln", "touch", "wc", "head", "tail", "grep", "sed",
            "httpd", "nc", "kill", "ps", "yes", "dd", "printf", "test", "[", "uname", "hostname",
            "whoami", "stat", "find", "tar", "gzip", "wget", "adduser", "addgroup", "su")


def docker_available() -> bool:
    """True when a Docker engine answers ``docker info``."""
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(["docker", "info"], capture_output=True, timeout=30)
    return result.returncode == 0


def require_docker() -> None:
    """Skip the calling test when no Docker engine is reachable."""
    if not docker_available():
        pytest.skip("needs a running Docker engine")


def docker_build(context: Path, tag: str, dockerfile: str = "Dockerfile", *args: str) -> None:
    """Run ``docker build`` (legacy builder, which needs no buildx plugin) and fail loudly."""
    cmd = ["docker", "build", "-q", "-t", tag, "-f", str(context / dockerfile), *args, str(context)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                            env={"DOCKER_BUILDKIT": "0", "PATH": "/usr/local/bin:/usr/bin:/bin"})
    if result.returncode != 0:
        raise AssertionError(f"docker build failed: {result.stderr[-2000:]}")


def busybox_base(tag: str = BASE_TAG) -> str:
    """Return a local image tag with busybox, /bin/sh and common applets; build it once."""
    require_docker()
    if not BUSYBOX.exists():
        pytest.skip("needs Debian's busybox-static (/bin/busybox)")
    probe = subprocess.run(["docker", "image", "inspect", tag], capture_output=True)
    if probe.returncode == 0:
        return tag
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Path(tmp)
        shutil.copy2(BUSYBOX, ctx / "busybox")
        links = " && ".join(f"ln -s busybox /bin/{a}" for a in _APPLETS)
        (ctx / "Dockerfile").write_text(
            "FROM scratch\n"
            "COPY busybox /bin/busybox\n"
            f'RUN ["/bin/busybox", "sh", "-c", "{links} && mkdir -p /tmp /etc /root /usr/bin '
            '&& echo root:x:0:0:root:/root:/bin/sh > /etc/passwd '
            '&& echo nobody:x:65534:65534:nobody:/:/bin/false >> /etc/passwd '
            '&& echo app:x:1000:1000:app:/home/app:/bin/sh >> /etc/passwd '
            '&& echo root:x:0: > /etc/group && echo nogroup:x:65534: >> /etc/group '
            '&& echo app:x:1000: >> /etc/group && chmod 1777 /tmp"]\n'
            'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n'
        )
        docker_build(ctx, tag)
    return tag
