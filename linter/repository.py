"""The repository a run belongs to: its root, and paths relative to it (SARIF, GitHub annotations).

GitHub code scanning and workflow annotations name files relative to the repository's
top level, whatever directory the tool ran in.  The top level is found by walking up for
``.git`` (a directory, or a file in a worktree or submodule), without running git: linter/
starts no processes.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path, PurePath


@functools.lru_cache(maxsize=16)
def repository_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``.git``, or None outside a repository."""
    start = Path(os.path.abspath(start))
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def source_root(cwd: Path) -> Path:
    """The folder paths are reported against: the repository root of ``cwd``, else ``cwd`` itself."""
    return repository_root(cwd) or Path(os.path.abspath(cwd))


def relative_to_root(path: PurePath | str, cwd: Path, root: Path) -> str | None:
    """``path`` (absolute, or relative to ``cwd``) as a POSIX path relative to ``root``; None outside it.

    ``..`` segments are folded lexically (``../other/Dockerfile`` from a subdirectory);
    symlinks are not resolved, as the user named the path.
    """
    p = PurePath(path)
    absolute = os.path.normpath(p if p.is_absolute() else PurePath(os.path.abspath(cwd)) / p)
    try:
        return PurePath(absolute).relative_to(root).as_posix()
    except ValueError:
        return None
