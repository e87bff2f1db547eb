"""The real pre-commit runs our hook (try-repo) and fails on a bad Dockerfile, passes on a good one."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pylint_image.linter import find_tool

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_pre_commit_try_repo_fails_then_passes(tmp_path: Path) -> None:
    pre_commit = find_tool("pre-commit")  # beside this Python (the test extra) even if its venv is not on PATH
    if pre_commit is None or shutil.which("git") is None:
        pytest.skip("needs pre-commit and git")
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    _git(project, "config", "user.email", "t@example.com")
    _git(project, "config", "user.name", "t")
    (project / "services").mkdir()
    (project / "services" / "api.Dockerfile").write_text("FROM alpine:3.20\nRUNN echo broken\n")
    (project / "Containerfile").write_text('FROM alpine:3.20\nUSER 1000\nCMD ["sh"]\n')
    (project / "notes.txt").write_text("RUNN is not checked here\n")
    _git(project, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    cmd = [pre_commit, "try-repo", str(REPO), "pylint-image", "--all-files"]
    bad = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "api.Dockerfile:2:1" in bad.stdout and "DF0001" in bad.stdout
    assert "notes.txt" not in bad.stdout
    (project / "services" / "api.Dockerfile").write_text('FROM alpine:3.20\nUSER 1000\nCMD ["sh"]\n')
    _git(project, "add", "-A")
    good = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
