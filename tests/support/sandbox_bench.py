"""Measure the sandbox's start overhead (fork -> entrypoint execve) and whole-run time.

Run: ``python -m tests.support.sandbox_bench [N]`` (root or user namespaces needed).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from pylint_image.runner.sandbox import SandboxSpec, run
from tests.support.sandbox_rootfs import make_busybox_rootfs


def main(count: int = 30) -> None:
    """Print median and p90 of start overhead and of the full run of ``true``."""
    with tempfile.TemporaryDirectory() as tmp:
        root = make_busybox_rootfs(Path(tmp) / "rootfs")
        starts, totals = [], []
        for _ in range(count):
            began = time.monotonic()
            result = run(SandboxSpec(rootfs=root, argv=("true",)))
            totals.append(time.monotonic() - began)
            starts.append(result.start_overhead)
    for label, values in (("start overhead (fork->exec)", starts), ("run(true) wall", totals)):
        values.sort()
        sys.stdout.write(f"{label}: median {statistics.median(values) * 1000:.1f} ms, "
                         f"p90 {values[int(len(values) * 0.9) - 1] * 1000:.1f} ms, "
                         f"min {values[0] * 1000:.1f} ms (n={count})\n")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
