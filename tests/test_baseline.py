"""Findings baseline (docs/baseline.md): fingerprints that survive moved and edited lines, the file's
format, --baseline hiding known findings (lint, image, verify), and the image size it also records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pylint_image.linter import baseline
from pylint_image.linter.findings import Finding, Severity, SourceLocation
from pylint_image.linter.model.span import Span
from tests.support import synth_image as synth

DOCKERFILE = """\
FROM python:latest
RUN apt-get update && apt-get install -y curl
WORKDIR /app
RUN pip install flask
COPY . /app
"""
# Lines inserted above every finding, and unrelated lines edited (WORKDIR, COPY).
MOVED = """\
# syntax=docker/dockerfile:1
# A comment, and a blank line, above every finding.

FROM python:latest
RUN apt-get update && apt-get install -y curl
WORKDIR /srv/app
RUN pip install flask
COPY src/ /srv/app
"""


def cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "NO_COLOR": "1", **(env or {})})


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the repository root paths are relative to
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text(DOCKERFILE)
    return tmp_path


def _findings(result: subprocess.CompletedProcess) -> list[dict]:
    return json.loads(result.stdout)["findings"]


def _new(result: subprocess.CompletedProcess) -> list[dict]:
    return [f for f in _findings(result) if f["suppressed"] is None]


def test_moving_lines_and_editing_unrelated_ones_makes_nothing_new(repo: Path) -> None:
    written = cli("svc", "--write-baseline", "baseline.json", "-f", "json", cwd=repo)
    recorded = _findings(written)
    assert written.returncode == 1 and len(recorded) >= 5
    (repo / "svc" / "Dockerfile").write_text(MOVED)
    again = cli("svc", "--baseline", "baseline.json", "-f", "json", cwd=repo)
    assert _new(again) == [] and again.returncode == 0, again.stdout
    hidden = _findings(again)
    assert {f["suppressed"]["kind"] for f in hidden} == {"external"}
    assert sorted(f["fingerprint"] for f in hidden) == sorted(f["fingerprint"] for f in recorded)
    assert [f["location"]["line"] for f in hidden if f["code"] == "DF1001"] == [4]  # it did move
    assert f"baseline baseline.json: {len(recorded)} known finding(s) hidden, 0 recorded finding(s) no longer found" \
        in again.stderr
    note = [n for n in json.loads(again.stdout)["notifications"] if n["id"] == "baseline"]
    assert len(note) == 1 and note[0]["level"] == "note"


def test_changing_the_offending_line_makes_one_new_finding(repo: Path) -> None:
    cli("svc", "--write-baseline", "baseline.json", cwd=repo)
    (repo / "svc" / "Dockerfile").write_text(MOVED.replace("pip install flask", "pip install django"))
    again = cli("svc", "--baseline", "baseline.json", "-f", "json", cwd=repo)
    new = _new(again)
    # DF2001 names the package: the new word is a new finding; DF2002 flags 'pip' on that
    # line (the whole line changed, but it is the one RUN of its kind): new too.
    assert [(f["code"], f["location"]["line"]) for f in new if f["code"] == "DF2001"] == [("DF2001", 7)]
    assert again.returncode == 1
    assert "recorded finding(s) no longer found" in again.stderr


def test_one_changed_word_is_exactly_one_new_finding(repo: Path) -> None:
    (repo / "svc" / "Dockerfile").write_text("FROM python:latest\nFROM node:latest AS two\n")
    cli("svc", "--write-baseline", "baseline.json", "--select", "DF1001", cwd=repo)
    (repo / "svc" / "Dockerfile").write_text("# moved\nFROM python:latest\nFROM ruby:latest AS two\n")
    again = cli("svc", "--baseline", "baseline.json", "--select", "DF1001", "-f", "json", cwd=repo)
    assert [(f["code"], f["location"]["line"]) for f in _new(again)] == [("DF1001", 3)]
    assert "1 known finding(s) hidden, 1 recorded finding(s) no longer found" in again.stderr


def test_fingerprints_are_the_same_from_any_directory_and_in_sarif(repo: Path) -> None:
    from_root = {f["fingerprint"] for f in _findings(cli("svc/Dockerfile", "-f", "json", cwd=repo))}
    from_sub = {f["fingerprint"] for f in _findings(cli("Dockerfile", "-f", "json", cwd=repo / "svc"))}
    assert from_root == from_sub and len(from_root) >= 5
    sarif = json.loads(cli("Dockerfile", "-f", "sarif", cwd=repo / "svc").stdout)
    assert {r["partialFingerprints"]["pylintImage/v1"] for r in sarif["runs"][0]["results"]} == from_root
    # The baseline written from the subdirectory is the one read from the root.
    cli("Dockerfile", "--write-baseline", "../b.json", cwd=repo / "svc")
    assert cli("svc", "--baseline", "b.json", cwd=repo).returncode == 0


def test_the_file_is_versioned_sorted_and_one_finding_per_line(repo: Path) -> None:
    (repo / "Dockerfile").write_text("FROM alpine:latest\n")
    cli(".", "--write-baseline", "baseline.json", cwd=repo)
    text = (repo / "baseline.json").read_text()
    doc = json.loads(text)
    assert doc["pylint-image-baseline"] == baseline.VERSION == 1 and doc["images"] == {}
    lines = text.splitlines()
    finding_lines = [ln for ln in lines if ln.startswith('  {"fingerprint"')]
    assert len(finding_lines) == len(doc["findings"]) >= 6  # one per line
    keys = [(f["path"], f["code"], f["fingerprint"]) for f in doc["findings"]]
    assert keys == sorted(keys) and {f["path"] for f in doc["findings"]} == {"Dockerfile", "svc/Dockerfile"}
    assert set(doc["findings"][0]) == {"fingerprint", "code", "name", "path", "message"}
    # Written twice, byte for byte the same (diff-friendly).
    cli(".", "--write-baseline", "again.json", cwd=repo)
    assert (repo / "again.json").read_text() == text


def test_pragma_suppressed_findings_are_not_recorded_and_gone_counts_only_what_was_examined(repo: Path) -> None:
    (repo / "other").mkdir()
    (repo / "other" / "Dockerfile").write_text("FROM alpine:latest\n")
    cli(".", "--write-baseline", "baseline.json", cwd=repo)
    every = json.loads((repo / "baseline.json").read_text())["findings"]
    (repo / "other" / "Dockerfile").write_text("# pylint-image: ignore=DF1001\nFROM alpine:latest\n")
    cli(".", "--write-baseline", "fewer.json", cwd=repo)
    fewer = json.loads((repo / "fewer.json").read_text())["findings"]
    assert len(fewer) == len(every) - 1
    # Only svc/ is linted: other/'s recorded findings are not "gone".
    only_svc = cli("svc", "--baseline", "baseline.json", cwd=repo)
    assert only_svc.returncode == 0 and "0 recorded finding(s) no longer found" in only_svc.stderr


@pytest.mark.parametrize("content,needle", [
    ('{"pylint-image-baseline": 1,\n "findings": [\n  {"code": "DF1001"}\n ]}\n', "bad.json:3: a finding without a 'fingerprint'"),
    ('{"pylint-image-baseline": 1,\n "findings": [,\n', "bad.json:2: not a baseline file"),
    ('{"pylint-image-baseline": 7, "findings": []}', "bad.json: baseline version 7 is not supported"),
    ('[1, 2]', "bad.json: not a baseline file (not a JSON object)"),
])
def test_a_bad_baseline_is_a_one_line_usage_error(repo: Path, content: str, needle: str) -> None:
    (repo / "bad.json").write_text(content)
    for argv in (["svc"], ["image", "nothing.tar"], ["verify", "--image", "docker-daemon:x"]):
        result = cli(*argv, "--baseline", "bad.json", cwd=repo)
        assert result.returncode == 2 and result.stderr.startswith(f"pylint-image: error: {needle}"), (argv, result.stderr)
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_missing_baseline_is_a_usage_error(repo: Path) -> None:
    result = cli("svc", "--baseline", "missing.json", cwd=repo)
    assert result.returncode == 2 and result.stderr.startswith("pylint-image: error: missing.json: cannot read baseline")


# --- image: one file for findings and size ----------------------------------------------------

SPEC = {"config": {"User": "1000"}, "layers": [{"created_by": "/bin/sh -c #(nop) ADD file:x in /", "files": [
    {"path": "/data.bin", "size": 300_000}, {"path": "/usr/bin/su", "mode": "04755", "size": 10}]}]}
BIGGER = {"config": SPEC["config"], "layers": [*SPEC["layers"], {"created_by": "/bin/sh -c cp", "files": [
    {"path": "/more.bin", "size": 200_000}, {"path": "/usr/bin/newgrp", "mode": "04755", "size": 10}]}]}


def test_image_baseline_records_findings_and_size(repo: Path) -> None:
    synth.write_oci_layout(SPEC, repo / "img")
    first = cli("image", "img", "--write-baseline", "image.json", "-f", "json", cwd=repo)
    doc = json.loads((repo / "image.json").read_text())
    assert doc["images"]["img"] > 300_000 and {f["code"] for f in doc["findings"]} >= {"IM2001"}
    assert {f["path"] for f in doc["findings"]} == {"img"}
    assert {f["fingerprint"] for f in _new(first)} == {f["fingerprint"] for f in doc["findings"]}
    same = cli("image", "img", "--baseline", "image.json", "-f", "json", cwd=repo)
    assert _new(same) == [] and same.returncode == 0, same.stdout + same.stderr
    # The image grew (in place: the same subject) and gained a setuid file: two new findings.
    synth.write_oci_layout(BIGGER, repo / "img")
    grown = cli("image", "img", "--baseline", "image.json", "-f", "json", cwd=repo)
    new = sorted((f["code"], f["location"].get("path_in_image")) for f in _new(grown))
    assert new == [("IM2001", "/usr/bin/newgrp"), ("IM3002", None)], grown.stdout
    assert grown.returncode == 1 and "1 known finding(s) hidden" in grown.stderr


def test_the_old_size_only_file_still_works(repo: Path) -> None:
    synth.write_oci_layout(BIGGER, repo / "img")
    (repo / "size.json").write_text(json.dumps({"image": "img-old", "size": 300_100}))
    result = cli("image", "img", "--baseline", "size.json", "-f", "json", cwd=repo)
    assert [f["code"] for f in _new(result)].count("IM3002") == 1 and result.returncode == 1
    assert "baseline" not in result.stderr  # no findings recorded: nothing hidden to speak of
    small = cli("image", "img", "--baseline", "size.json", "--select", "IM3002", cwd=repo)
    (repo / "size.json").write_text(json.dumps({"image": "img-old", "size": 10_000_000}))
    assert small.returncode == 1 and cli("image", "img", "--baseline", "size.json", "--select", "IM3002",
                                         cwd=repo).returncode == 0


def test_a_baseline_without_the_size_of_this_image_says_so(repo: Path) -> None:
    synth.write_oci_layout(SPEC, repo / "img")
    (repo / "two.json").write_text(json.dumps({"pylint-image-baseline": 1, "images": {"a": 1, "b": 2}, "findings": []}))
    result = cli("image", "img", "--baseline", "two.json", "-f", "json", cwd=repo)
    notes = [n["message"] for n in json.loads(result.stdout)["notifications"] if n["id"] == "baseline"]
    assert any("records no size of img" in n for n in notes), notes


# --- the function other formats reuse ---------------------------------------------------------


def _finding(line: int, code: str = "DF1001", path: str = "Dockerfile") -> Finding:
    return Finding(code, "unpinned-image-tag", Severity.WARNING, SourceLocation(Path(path), Span(line, 1, line, 19)),
                   "message", fingerprint="engine")


def test_fingerprint_ignores_line_numbers_and_tells_repeats_apart(tmp_path: Path) -> None:
    text = "FROM python:latest\nFROM python:latest\n"
    moved = "# x\n" + text
    one, two = _finding(1), _finding(2)
    assert baseline.fingerprint(one, text, root=tmp_path) == baseline.fingerprint(_finding(2), moved, root=tmp_path)
    # Equal text on two lines: fingerprints() numbers them in file order.
    fps = baseline.fingerprints([two, one], lambda f: text, tmp_path)
    assert fps[1] == baseline.fingerprint(one, text, root=tmp_path) != fps[0]
    assert fps[0] == baseline.fingerprint(two, text, occurrence=1, root=tmp_path)
    assert baseline.fingerprint(one, text, root=tmp_path) != baseline.fingerprint(
        _finding(1, code="DF1002"), text, root=tmp_path)
    assert baseline.fingerprint(one, text, root=tmp_path) != baseline.fingerprint(
        _finding(1, path="a/Dockerfile"), text, root=tmp_path)
    assert len(baseline.fingerprint(one, None)) == 32


@pytest.mark.parametrize("image,subject", [
    ("docker-daemon:myapp:1.2", "docker-daemon:myapp"),
    ("docker-daemon:myapp:1.3", "docker-daemon:myapp"),
    ("registry:127.0.0.1:5000/team/app:1@sha256:" + "a" * 64, "registry:127.0.0.1:5000/team/app"),
    ("127.0.0.1:5000/app", "127.0.0.1:5000/app"),
    ("pylint-image-verify/0123456789ab:latest", "<built>"),
])
def test_image_subjects_drop_tag_and_digest(image: str, subject: str) -> None:
    assert baseline.image_subject(image) == subject


def test_verify_baseline_hides_known_findings(repo: Path) -> None:
    # verify --image of a layout whose entrypoint is missing: no build, no sandbox run needed.
    synth.write_oci_layout({"config": {"User": "1000", "Cmd": ["sh"]}, "layers": [{"files": [
        {"path": "/usr/bin/su", "mode": "04755", "size": 10}]}]}, repo / "img")
    first = cli("verify", "--image", "img", "--progress", "none", "--write-baseline", "v.json", "-f", "json", cwd=repo)
    recorded = json.loads((repo / "v.json").read_text())["findings"]
    assert first.returncode == 1 and {f["code"] for f in recorded} >= {"IM2001", "RT3003"}, first.stderr
    again = cli("verify", "--image", "img", "--progress", "none", "--baseline", "v.json", "-f", "json", cwd=repo)
    assert _new(again) == [] and again.returncode == 0, again.stdout + again.stderr
    assert f"{len(recorded)} known finding(s) hidden, 0 recorded finding(s) no longer found" in again.stderr


def test_the_documented_example_is_a_baseline_file(tmp_path: Path) -> None:
    import re

    doc = (Path(__file__).resolve().parent.parent / "docs" / "baseline.md").read_text(encoding="utf-8")
    example = re.search(r"^```json\n(.*?)^```", doc, re.MULTILINE | re.DOTALL)
    assert example is not None
    (tmp_path / "b.json").write_text(example.group(1))
    loaded = baseline.load(tmp_path / "b.json")
    assert len(loaded.entries) == 2 and loaded.image_size("docker-daemon:myapp:2.0") == 73400320
