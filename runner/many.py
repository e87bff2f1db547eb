"""verify over many Dockerfiles: each built and verified on its own, ``--jobs`` at a time, one report.

Parallel runs are separate processes (forked), not threads: each verify has a watchdog
that, at its deadline, stops everything its process started, and a process is the unit
that makes "everything" mean this image's build, containers and children only.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from pylint_image.linter.findings import Finding
from pylint_image.linter.plugins import Registry
from pylint_image.linter.report import Report

from .spec import VerifySpec

VerifyOne = Callable[[VerifySpec], Report]
# Set in the parent just before the pool forks, read by the workers: fork hands them the
# registry, config and specs without pickling rules (their checks are plain functions).
_JOB: tuple[Sequence[VerifySpec], VerifyOne] | None = None


def label(spec: VerifySpec) -> str:
    """How one verify job is named in progress lines."""
    return str(spec.dockerfile or spec.image)


def _work(index: int) -> tuple[int, Report, float]:
    """Worker: verify spec ``index``; the report travels back without its rules."""
    assert _JOB is not None
    specs, verify_one = _JOB
    began = time.perf_counter()
    report = verify_one(specs[index])
    return index, dataclasses.replace(report, rules=()), time.perf_counter() - began


def merge(reports: Sequence[Report], registry: Registry, seconds: float) -> Report:
    """One report of several: findings sorted together, every notification, table and source kept."""
    findings: list[Finding] = [f for r in reports for f in r.findings]
    sources: dict[str, str] = {}
    for r in reports:
        sources.update(r.sources)
    return Report(findings=tuple(sorted(findings, key=Finding.sort_key)),
                  notifications=tuple(dict.fromkeys(n for r in reports for n in r.notifications)),
                  rules=registry.rules, targets=tuple(t for r in reports for t in r.targets),
                  tool_version=reports[0].tool_version, root=Path.cwd(), timings={"total_s": seconds},
                  tables=tuple(t for r in reports for t in r.tables), sources=sources)


def verify_many(specs: Sequence[VerifySpec], registry: Registry, jobs: int,
                verify_one: VerifyOne, stream: TextIO | None = sys.stderr) -> Report:
    """Verify every spec (``jobs`` at a time), printing one progress line per image (None: none), and merge."""
    global _JOB
    began = time.perf_counter()
    total = len(specs)
    done: dict[int, Report] = {}

    def say(text: str) -> None:
        if stream is not None:
            stream.write(f"pylint-image: {text}\n")
            stream.flush()

    def note(index: int, report: Report, seconds: float) -> None:
        done[index] = report
        say(f"verified {len(done)}/{total} {label(specs[index])}: "
            f"{len(report.visible())} finding(s) in {seconds:.1f} s")

    if jobs <= 1 or total == 1:
        for index, spec in enumerate(specs):
            say(f"verifying {index + 1}/{total} {label(spec)}")
            started = time.perf_counter()
            note(index, verify_one(spec), time.perf_counter() - started)
    else:
        _JOB = (specs, verify_one)
        pool = multiprocessing.get_context("fork").Pool(min(jobs, total))
        try:
            for index, report, seconds in pool.imap_unordered(_work, range(total)):
                note(index, report, seconds)
            pool.close()
        except BaseException:
            # Ctrl-C or SIGTERM here: SIGTERM the workers, whose own handlers tear their
            # containers down, before this process unwinds.
            pool.terminate()
            raise
        finally:
            pool.join()
            _JOB = None
    return merge([done[i] for i in range(total)], registry, time.perf_counter() - began)
