"""The Debian bookworm base image the fidelity tests build on (made by ``scripts/debian-base.sh``).

Outside CI a missing base skips the test with the command that makes it; in CI (``CI=true``)
a missing base is a failure: the harness must not silently test nothing.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.docker_images import require_docker

DEBIAN_TAG = "pylint-image-test/debian:bookworm"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "debian-base.sh"


def in_ci() -> bool:
    """True when running in CI (``CI=true``, as .ci/run and the usual CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def image_exists(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True, timeout=60).returncode == 0


def debian_base(tag: str = DEBIAN_TAG) -> str:
    """The base image's tag; skip (fail in CI) when Docker or the image is missing."""
    if in_ci():
        if not image_exists(tag):
            pytest.fail(f"CI: the Debian base {tag} is missing: .ci/run must run {SCRIPT.name} "
                        "before the tests", pytrace=False)
        return tag
    require_docker()
    if not image_exists(tag):
        pytest.skip(f"needs the Debian base image {tag}: run scripts/debian-base.sh (root, debootstrap)")
    return tag
