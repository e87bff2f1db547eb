"""--fix on files and on stdin ('-'), and --diff: what is written where, and the exit codes."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from tests.test_cli import run

# Three safe fixes (DF2003 --no-install-recommends, DF2013 -y, DF3004 MAINTAINER -> LABEL)
# and what is left after them: DF2001 curl unpinned (a warning: exit code 1 either way).
BROKEN = "FROM debian:12.5\nRUN apt-get update && \\\n    apt-get install curl\nMAINTAINER me\n"
FIXED = ("FROM debian:12.5\nRUN apt-get update && \\\n    apt-get install --no-install-recommends -y curl\n"
         "LABEL maintainer=\"me\"\n")
SELECT = ("--select", "DF2001,DF2003,DF2013,DF3004")


def test_diff_prints_what_fix_would_change_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(BROKEN)
    plain = run(*SELECT, "--format", "json", "Dockerfile", cwd=tmp_path)
    result = run(*SELECT, "--format", "json", "--diff", "Dockerfile", cwd=tmp_path)
    assert (tmp_path / "Dockerfile").read_text() == BROKEN  # nothing written
    expected = "".join(difflib.unified_diff(BROKEN.splitlines(True), FIXED.splitlines(True), "Dockerfile", "Dockerfile"))
    assert result.stdout == expected
    # The exit code and the report (on stderr: stdout is the diff) are those without --diff.
    assert result.returncode == plain.returncode == 1
    report = json.loads(result.stderr[result.stderr.index("{"):])
    assert sorted(f["code"] for f in report["findings"]) == sorted(f["code"] for f in json.loads(plain.stdout)["findings"])
    assert "would fix 3 finding(s)" in result.stderr
    # ...and it is what --fix really does.
    assert run(*SELECT, "--fix", "Dockerfile", cwd=tmp_path).returncode == 1
    assert (tmp_path / "Dockerfile").read_text() == FIXED


def test_diff_with_nothing_to_fix_prints_no_diff_and_keeps_the_exit_code(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(FIXED)
    result = run(*SELECT, "--diff", "Dockerfile", cwd=tmp_path)
    assert result.stdout == "" and result.returncode == 1  # DF2001 is still there
    assert "DF2001" in result.stderr


def test_diff_of_stdin_is_labelled_with_the_stdin_filename(tmp_path: Path) -> None:
    result = run(*SELECT, "--diff", "--stdin-filename", "svc/Dockerfile", "-", cwd=tmp_path, stdin=BROKEN)
    assert result.stdout.startswith("--- svc/Dockerfile\n+++ svc/Dockerfile\n@@")
    assert "+LABEL maintainer=\"me\"\n" in result.stdout and "-MAINTAINER me\n" in result.stdout


def test_fix_stdin_writes_the_fixed_text_to_stdout_and_the_report_to_stderr(tmp_path: Path) -> None:
    # A Dockerfile of the same name in the current directory must not be touched.
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    result = run(*SELECT, "--fix", "--format", "json", "-", cwd=tmp_path, stdin=BROKEN)
    assert result.stdout == FIXED
    assert (tmp_path / "Dockerfile").read_text() == "FROM scratch\n"
    report = json.loads(result.stderr[result.stderr.index("{"):])
    assert [(f["code"], f["location"]["line"]) for f in report["findings"]] == [("DF2001", 3)]  # what is left
    assert result.returncode == 1
    assert "fixed 3 finding(s)" in result.stderr


def test_fix_stdin_is_a_filter_also_with_nothing_to_fix(tmp_path: Path) -> None:
    text = "FROM alpine:3.20\nUSER 1000\nCMD [\"sh\"]"  # no final newline: kept as it is
    result = run("--fix", "-", cwd=tmp_path, stdin=text)
    assert result.stdout == text and result.returncode == 0


def test_fix_stdin_exit_code_is_what_is_left(tmp_path: Path) -> None:
    # Only fixable findings selected: after --fix nothing is left, so exit 0.
    result = run("--select", "DF2003,DF2013,DF3004", "--fix", "-", cwd=tmp_path, stdin=BROKEN)
    assert result.stdout == FIXED and result.returncode == 0
    assert run("--select", "DF2003,DF2013,DF3004", "-", cwd=tmp_path, stdin=BROKEN).returncode == 1


def test_fix_on_files_still_writes_in_place_next_to_stdin(tmp_path: Path) -> None:
    (tmp_path / "a.Dockerfile").write_text(BROKEN)
    result = run(*SELECT, "--fix", "a.Dockerfile", "-", cwd=tmp_path, stdin=BROKEN)
    assert (tmp_path / "a.Dockerfile").read_text() == FIXED
    assert result.stdout == FIXED  # only the text read from stdin
    assert "fixed 6 finding(s)" in result.stderr
