"""Session fixtures of the fidelity harness: build every image once, observe every case once.

Observing is the slow part (a container start, readiness, health, ``docker stop`` and one
verify run per case), so the cases run a few at a time in threads; each case's Docker run
and verify run follow each other, never overlap.  With ``PYLINT_IMAGE_FIDELITY_JSON=PATH``
the results (both sides, what Docker showed, timings) are written to PATH for
``scripts/gen_fidelity_doc.py``.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.debian_base import debian_base

from .cases import BY_NAME, FIELDS
from .images import build_cases, build_stacks
from .oracle import docker_version, ground_truth, image_config
from .verify_side import run_verify

JOBS = int(os.environ.get("PYLINT_IMAGE_FIDELITY_JOBS", "3"))


def compare(case, docker: dict, verify: dict) -> dict:
    fields = [f for f in FIELDS if f in case.asserts]
    mine = {f: docker["verdict"].get(f) for f in fields}
    theirs = {f: verify["verdict"].get(f) for f in fields}
    return {"docker": mine, "verify": theirs, "agree": mine == theirs}


@pytest.fixture(scope="session")
def fidelity(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = debian_base()
    names = sorted({item.callspec.params["name"] for item in request.session.items
                    if Path(item.path).parent == Path(__file__).parent and hasattr(item, "callspec")
                    and "name" in item.callspec.params} or BY_NAME)
    cases = [BY_NAME[n] for n in names]
    began = time.monotonic()
    parents = {"debian": base, **build_stacks(base)}
    tags = build_cases(cases, parents)
    built = time.monotonic()
    cache = tmp_path_factory.mktemp("layers")

    def observe(case):
        tag = tags[case.name]
        docker = ground_truth(case, tag, image_config(tag))
        verify = run_verify(tag, cache)
        return case.name, {"tag": tag, **compare(case, docker, verify),
                           "docker_record": docker["record"], "verify_record": verify["record"],
                           "docker_all": docker["verdict"], "verify_all": verify["verdict"]}

    # One tools-based case first, alone: it fills verify's layer cache with the shared stack,
    # which the parallel runs would otherwise all unpack at once.
    first = [c for c in cases if "{tools}" in c.dockerfile][:1]
    results = dict(map(observe, first))
    with ThreadPoolExecutor(JOBS) as pool:
        results.update(pool.map(observe, [c for c in cases if c not in first]))
    finished = time.monotonic()
    summary = {
        "docker_version": docker_version(), "jobs": JOBS,
        "build_s": round(built - began, 1), "observe_s": round(finished - built, 1),
        "docker_total_s": round(sum(r["docker_record"].get("seconds", 0) for r in results.values()), 1),
        "verify_total_s": round(sum(r["verify_record"].get("seconds", 0) for r in results.values()), 1),
        "cases": [{"name": c.name, "claim": c.claim, "asserts": list(c.asserts), "xfail": c.xfail,
                   "docker_note": c.docker_note, **results[c.name]} for c in cases],
    }
    out = os.environ.get("PYLINT_IMAGE_FIDELITY_JSON")
    if out:
        Path(out).write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return results
