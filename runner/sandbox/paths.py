"""Resolve paths inside an untrusted root the way the kernel would after chroot (symlinks stay inside)."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

_MAX_LINKS = 40   # the kernel's own ELOOP bound


def secure_join(root: Path, path: str | PurePosixPath) -> Path:
    """Return ``root/path`` with every symlink resolved as if ``root`` were ``/``.

    The result never leaves ``root``: ``..`` stops at it and absolute link targets restart
    from it, so a hostile image cannot make the host write outside its root.
    """
    parts = [p for p in PurePosixPath(path).parts if p != "/"]
    resolved: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = root.joinpath(*resolved, part)
        if candidate.is_symlink():
            links += 1
            if links > _MAX_LINKS:
                raise OSError(40, f"too many symlinks resolving {path} in {root}")
            target = PurePosixPath(os.readlink(candidate))
            if target.is_absolute():
                resolved = []
            parts = [p for p in target.parts if p != "/"] + parts
            continue
        resolved.append(part)
    return root.joinpath(*resolved)
