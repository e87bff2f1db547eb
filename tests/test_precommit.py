"""pre-commit and our hooks.

The real pre-commit runs our hook (try-repo) and fails on a bad Dockerfile, passes on a good one.
The configuration the README (and docs/ci/github.md) gives pins a rev this repository really
has, with hooks that exist at that rev; pre-commit runs it as written (the reader's
``<repo-url>`` filled in with this repository), and ``pre-commit autoupdate`` moves it on.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from pylint_image.linter import find_tool

REPO = Path(__file__).resolve().parent.parent


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.slow
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


@pytest.mark.slow
def test_manifests_hook_lints_compose_and_ci_files_only(tmp_path: Path) -> None:
    pre_commit = find_tool("pre-commit")
    if pre_commit is None or shutil.which("git") is None:
        pytest.skip("needs pre-commit and git")
    project = tmp_path / "project"
    (project / ".github" / "workflows").mkdir(parents=True)
    _git(project, "init", "-q")
    (project / "compose.yaml").write_text("services:\n  web:\n    image: nginx\n")
    (project / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    container: node:latest\n    steps:\n      - run: echo\n")
    (project / "settings.yaml").write_text("image: nginx\n")  # not a manifest: the hook's files pattern skips it
    _git(project, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    cmd = [pre_commit, "try-repo", str(REPO), "pylint-image-manifests", "--all-files"]
    bad = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "compose.yaml:3:12: MF1001" in bad.stdout
    assert ".github/workflows/ci.yml:5:16: MF1001" in bad.stdout
    assert "settings.yaml" not in bad.stdout
    (project / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.27.3\n")
    (project / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    container: node:20.18\n    steps:\n      - run: echo\n")
    _git(project, "add", "-A")
    good = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert good.returncode == 0, good.stdout + good.stderr

# --- the configuration the README and docs/ci/github.md give ---------------------------------------

_YAML_BLOCK = re.compile(r"^```ya?ml\n(# \.pre-commit-config\.yaml\n.*?)^```", re.MULTILINE | re.DOTALL)
DOCS = (REPO / "README.md", REPO / "docs" / "ci" / "github.md")


def documented_configs() -> dict[str, str]:
    """The ``# .pre-commit-config.yaml`` blocks of the README and docs/ci/github.md, by file."""
    found = {}
    for doc in DOCS:
        blocks = _YAML_BLOCK.findall(doc.read_text(encoding="utf-8"))
        assert len(blocks) == 1, f"{doc.name}: expected one .pre-commit-config.yaml block, found {len(blocks)}"
        found[doc.name] = blocks[0]
    return found


def _hook_ids(text: str) -> set[str]:
    return {hook["id"] for hook in YAML(typ="safe").load(text)}


def test_documented_configs_pin_a_commit_this_repository_has() -> None:
    configs = documented_configs()
    assert configs["README.md"] == configs["github.md"], "README.md and docs/ci/github.md give different configs"
    (repo,) = YAML(typ="safe").load(configs["README.md"])["repos"]
    assert repo["repo"] == "<repo-url>"   # the reader fills it in: the README says so
    rev = repo["rev"]
    assert re.fullmatch(r"[0-9a-f]{40}", rev), f"rev {rev!r}: pin a full commit sha (or a tag the repository has)"
    exists = subprocess.run(["git", "cat-file", "-e", f"{rev}^{{commit}}"], cwd=REPO, capture_output=True)
    assert exists.returncode == 0, f"rev {rev} is not a commit of this repository"
    ancestor = subprocess.run(["git", "merge-base", "--is-ancestor", rev, "HEAD"], cwd=REPO, capture_output=True)
    assert ancestor.returncode == 0, f"rev {rev} is not in the history of HEAD"
    hooks_then = subprocess.run(["git", "show", f"{rev}:.pre-commit-hooks.yaml"], cwd=REPO, capture_output=True,
                                text=True, check=True).stdout
    used = {hook["id"] for hook in repo["hooks"]}
    assert used == {"pylint-image", "pylint-image-verify"}
    assert used <= _hook_ids(hooks_then), f"hooks at {rev}: {sorted(_hook_ids(hooks_then))}"
    assert used <= _hook_ids((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def _readme_config(repo_url: str) -> str:
    return documented_configs()["README.md"].replace("<repo-url>", repo_url)


def _project(tmp_path: Path, dockerfile: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    _git(project, "config", "user.email", "t@example.com")
    _git(project, "config", "user.name", "t")
    (project / "Dockerfile").write_text(dockerfile)
    return project


@pytest.mark.slow
def test_readme_config_runs_the_pinned_hook(tmp_path: Path) -> None:
    """pre-commit itself fetches the README's rev and runs its hook: it fails, then passes."""
    pre_commit = find_tool("pre-commit")
    assert pre_commit is not None and shutil.which("git"), "needs pre-commit (the test extra) and git"
    project = _project(tmp_path, "FROM alpine:3.20\nRUNN echo broken\n")
    (project / ".pre-commit-config.yaml").write_text(_readme_config(str(REPO)))
    _git(project, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    bad = subprocess.run([pre_commit, "run", "--all-files"], cwd=project, env=env, capture_output=True, text=True,
                         timeout=900)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Dockerfile:2:1" in bad.stdout and "DF0001" in bad.stdout
    (project / "Dockerfile").write_text('FROM alpine:3.20\nUSER 1000\nCMD ["sh"]\n')
    _git(project, "add", "-A")
    good = subprocess.run([pre_commit, "run", "--all-files"], cwd=project, env=env, capture_output=True, text=True,
                          timeout=900)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "pylint-image (Dockerfile lint)" in good.stdout and "Passed" in good.stdout


@pytest.mark.slow
def test_autoupdate_moves_rev_to_the_newest_tag_or_commit(tmp_path: Path) -> None:
    """What the README tells readers to run: ``pre-commit autoupdate`` writes a rev that exists."""
    pre_commit = find_tool("pre-commit")
    assert pre_commit is not None and shutil.which("git"), "needs pre-commit (the test extra) and git"
    project = _project(tmp_path, 'FROM alpine:3.20\nUSER 1000\nCMD ["sh"]\n')
    config = project / ".pre-commit-config.yaml"
    clone = tmp_path / "clone"   # a fixed HEAD, whatever is committed meanwhile
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, capture_output=True, timeout=120)
    config.write_text(_readme_config(str(clone)))
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    result = subprocess.run([pre_commit, "autoupdate"], cwd=project, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (repo,) = YAML(typ="safe").load(config.read_text())["repos"]
    tag = subprocess.run(["git", "describe", "--tags", "--abbrev=0", "HEAD"], cwd=clone, capture_output=True,
                         text=True)
    if tag.returncode == 0:
        assert repo["rev"] == tag.stdout.strip()
    else:   # no tags yet: the newest commit
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True, check=True)
        assert repo["rev"] == head.stdout.strip()
