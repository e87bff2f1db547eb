"""Unit tests of the second batch of instruction/metadata rules, for what fixtures cannot express.

Fixtures need a finding; "silent" cases (HEALTHCHECK NONE, ``# check=skip=...``) and the
.dockerignore reader (files on disk next to the Dockerfile) are tested here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pylint_image.linter.parse import parse_dockerfile
from pylint_image.rules._shared.dockerignore import excluded, ignored_sources, load, parse
from pylint_image.rules._shared.labels import conforms
from tests.support.linting import lint_text

PREVIEW = {"preview": True}


def _codes(text: str) -> set[str]:
    return {f.code for f in lint_text(text, table=PREVIEW).outcome.findings}


@pytest.mark.parametrize("text", [
    "FROM alpine:3.20\nHEALTHCHECK NONE\n",
    "FROM alpine:3.20 AS a\nHEALTHCHECK CMD true\nFROM a\n",
    "FROM golang:1.23 AS b\nRUN go build -o /x .\nFROM scratch\nCOPY --from=b /x /x\n",
])
def test_missing_healthcheck_is_silent(text: str) -> None:
    assert "DF3012" not in _codes(text)


def test_missing_healthcheck_is_preview_only() -> None:
    text = "FROM alpine:3.20\nCMD [\"sh\"]\n"
    assert "DF3012" in _codes(text)
    assert "DF3012" not in {f.code for f in lint_text(text).outcome.findings}


@pytest.mark.parametrize(("check_name", "code", "text"), [
    ("UndefinedVar", "DF0006", "FROM alpine:3.20\nCOPY $src /x\n"),
    ("InvalidDefinitionDescription", "DF1011", "# something\nARG A=1\nFROM alpine:3.20\n"),
])
def test_buildkit_skip_directive(check_name: str, code: str, text: str) -> None:
    assert code in _codes(text)
    assert code not in _codes(f"# check=skip={check_name}\n" + text)


@pytest.mark.parametrize(("text", "fires"), [
    ("FROM alpine:3.20\nWORKDIR /srv/$HOME_DIR\n", False),  # upper case: the base image may define it
    ("FROM scratch\nWORKDIR /srv/$HOME_DIR\n", True),  # scratch defines nothing
    ("FROM alpine:3.20\nARG TARGETARCH\nCOPY bin-$TARGETARCH /x\n", False),
    ("FROM alpine:3.20\nCOPY bin-$TARGETARCH /x\n", True),
    ("FROM alpine:3.20\nCOPY ${src:-.} /x\n", False),  # a default: unset is expected
    ("FROM alpine:3.20\nRUN echo $undefined\n", False),  # the shell expands RUN
    ("FROM alpine:3.20 AS a\nENV app_dir=/a\nFROM a\nWORKDIR $app_dir\n", False),  # inherited ENV
    ("ARG PYTHON_VERSION=3.12\nFROM python:${PYTHON_VERSION}\nLABEL py=$PYTHON_VERSION\n", False),
    ("ARG VERSION=1\nFROM python:3.12\nLABEL v=$VERSION\n", True),
    ("FROM alpine:3.20\nENV PATH=$PAHT:/x\n", True),
])
def test_undefined_variable(text: str, fires: bool) -> None:
    assert ("DF0006" in _codes(text)) is fires


@pytest.mark.parametrize(("value", "kind", "ok"), [
    ("2024-05-01T12:00:00+02:00", "rfc3339", True), ("2024-05-01", "rfc3339", False),
    ("2024-13-01T12:00:00Z", "rfc3339", False), ("https://x.example", "url", True), ("x.example", "url", False),
    ("a@b.example", "email", True), ("Jane <a@b.example>", "email", False), ("1.2.3-rc.1+b5", "semver", True),
    ("v1.2.3", "semver", False), ("abc1234", "hash", True), ("xyz", "hash", False),
    ("(MIT OR Apache-2.0) AND BSD-3-Clause", "spdx", True), ("Apache 2.0", "spdx", False),
    ("MIT AND", "spdx", False), ("anything", "text", True),
])
def test_label_formats(value: str, kind: str, ok: bool) -> None:
    assert conforms(value, kind) is ok


IGNORE = """
# comment
*.md
!README.md
**/node_modules
/build/
.env
docs/**/*.tmp
"""


@pytest.mark.parametrize(("path", "is_excluded"), [
    ("a.md", True), ("README.md", False), ("sub/a.md", False), ("node_modules", True),
    ("a/b/node_modules/c.js", True), ("build/out/x", True), ("./.env", True), ("/.env", True),
    ("docs/a/b/c.tmp", True), ("docs/c.tmp", True), ("src/app.py", False),
])
def test_dockerignore_semantics(path: str, is_excluded: bool) -> None:
    assert excluded(parse(IGNORE), path) is is_excluded


def _dockerfile(tmp_path: Path, text: str, name: str = "Dockerfile"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_dockerfile(path, text)


def test_ignored_sources_reads_the_context_ignore_file(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text(IGNORE, encoding="utf-8")
    df = _dockerfile(tmp_path, "FROM alpine:3.20\nCOPY .env README.md /app/\nADD build/x /y\n"
                               "COPY . /src\nCOPY *.md /docs/\nCOPY --from=other .env /z\nADD https://x/a.md /w\n")
    assert [(i.line, s) for i, s in ignored_sources(df)] == [(2, ".env"), (3, "build/x")]


def test_dockerfile_specific_ignore_file_wins(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("app.py\n", encoding="utf-8")
    (tmp_path / "web.Dockerfile.dockerignore").write_text("*.md\n", encoding="utf-8")
    df = _dockerfile(tmp_path, "FROM alpine:3.20\nCOPY app.py notes.md /app/\n", name="web.Dockerfile")
    assert [s for _, s in ignored_sources(df)] == ["notes.md"]


def test_no_or_unreadable_ignore_file_gives_nothing(tmp_path: Path) -> None:
    df = _dockerfile(tmp_path, "FROM alpine:3.20\nCOPY .env /app/\n")
    assert load(df) is None and ignored_sources(df) == []
    ignore = tmp_path / ".dockerignore"
    ignore.write_bytes(b"\xff\xfe.env\n")  # not UTF-8
    assert ignored_sources(df) == []
    if os.geteuid() != 0:  # root reads any file
        ignore.write_text(".env\n", encoding="utf-8")
        ignore.chmod(0)
        assert ignored_sources(df) == []
