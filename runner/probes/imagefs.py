"""Look up in-image paths on an assembled root (a directory or overlay lowers) without mounting it.

The lookup itself is the sandbox's safe reader (``runner/sandbox/paths.py``): symlinks
resolve inside the image, whiteouts and opaque directories hide lower layers, and bytes
are read only from regular files, with a cap.  This module adds the PATH search.
"""

from __future__ import annotations

import posixpath
import stat
from pathlib import Path

from ..sandbox.paths import ImageEntry, ImageFileError, resolve_in_image
from ..sandbox.spec import OverlayRoot

ImageFile = ImageEntry
lookup = resolve_in_image
PATH_SCAN = 128 * 1024   # characters of PATH searched: an image's megabyte PATH costs no more


def path_dirs(path_env: str) -> list[str]:
    """The directories of ``PATH`` to search: its first ``PATH_SCAN`` characters, each once."""
    return list(dict.fromkeys(path_env[:PATH_SCAN].split(":")))


def which(root: Path | OverlayRoot, name: str, path_env: str, cwd: str = "/") -> ImageEntry | None:
    """Find ``name`` as the runtime would: as a path when it has a slash, else through ``PATH``.

    A candidate that exists but cannot run (no execute bit, not a regular file) is
    remembered and returned when nothing better is found, so the caller can say "not
    executable" instead of "not found".
    """
    if "/" in name:
        return resolve_in_image(root, name, cwd)
    fallback = None
    for directory in path_dirs(path_env):
        try:
            found = resolve_in_image(root, posixpath.join(directory or ".", name), cwd)
        except ImageFileError:
            continue   # a link loop or an over-long path: runc's PATH search moves on too
        if found is None or stat.S_ISDIR(found.mode):
            continue
        if found.is_file and found.executable:
            return found
        fallback = fallback or found
    return fallback
