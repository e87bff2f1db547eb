"""The repository root (walking up for .git, no git process) and paths relative to it."""

from __future__ import annotations

from pathlib import Path

from pylint_image.linter.repository import relative_to_root, repository_root, source_root


def test_repository_root_walks_up_to_a_git_directory_or_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "a" / "b").mkdir(parents=True)
    assert repository_root(repo / "a" / "b") == repo
    assert source_root(repo / "a" / "b") == repo
    worktree = tmp_path / "worktree"  # a worktree or submodule has a .git *file*
    (worktree / "sub").mkdir(parents=True)
    (worktree / ".git").write_text("gitdir: /elsewhere\n", encoding="utf-8")
    assert repository_root(worktree / "sub") == worktree


def test_outside_a_repository_the_current_directory_is_the_root(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    assert repository_root(tmp_path / "x") is None
    assert source_root(tmp_path / "x") == tmp_path / "x"


def test_relative_to_root_folds_dot_dot_and_refuses_paths_outside() -> None:
    root, cwd = Path("/r"), Path("/r/docker/app")
    assert relative_to_root("Dockerfile", cwd, root) == "docker/app/Dockerfile"
    assert relative_to_root("../../other/Dockerfile", cwd, root) == "other/Dockerfile"
    assert relative_to_root(Path("/r/x/Dockerfile"), cwd, root) == "x/Dockerfile"
    assert relative_to_root("../../../etc/Dockerfile", cwd, root) is None
    assert relative_to_root(Path("/rx/Dockerfile"), cwd, root) is None  # a prefix of the name is no parent
