"""Look up in-image paths on an assembled root (a directory or overlay lowers) without mounting it.

Symlinks are resolved inside the image (an absolute target restarts at the image root),
overlay whiteouts hide lower layers, and opaque directories stop the search downwards,
so the answer matches what the container's kernel would see.
"""

from __future__ import annotations

import os
import posixpath
import stat
from pathlib import Path

from ..sandbox import OverlayRoot
from pylint_image.linter.model.frozen import frozen

_MAX_LINKS = 40          # the kernel's own limit on symlinks followed in one lookup
_OPAQUE_XATTR = "trusted.overlay.opaque"


@frozen
class ImageFile:
    """A resolved in-image path and where its bytes live on the host."""

    path: str        # in-image path after following symlinks
    host_path: Path
    mode: int

    @property
    def is_file(self) -> bool:
        """True for a regular file."""
        return stat.S_ISREG(self.mode)

    @property
    def executable(self) -> bool:
        """True when any execute bit is set (the kernel's first check for execve)."""
        return bool(self.mode & 0o111)

    def head(self, size: int = 65536) -> bytes:
        """The first ``size`` bytes of the file (empty when unreadable)."""
        try:
            with self.host_path.open("rb") as handle:
                return handle.read(size)
        except OSError:
            return b""


def _layers(root: Path | OverlayRoot) -> tuple[Path, ...]:
    return root.lower if isinstance(root, OverlayRoot) else (root,)


def _opaque(path: Path) -> bool:
    try:
        return os.getxattr(path, _OPAQUE_XATTR, follow_symlinks=False) == b"y"
    except OSError:
        return False


def _entry(layers: tuple[Path, ...], rel: str) -> tuple[Path, os.stat_result] | None:
    """The topmost layer's entry for ``rel`` (no symlink following), honouring whiteouts."""
    parts = [p for p in rel.split("/") if p]
    for layer in layers:
        candidate = layer.joinpath(*parts)
        try:
            info = os.lstat(candidate)
        except OSError:
            # An opaque parent in this layer hides every lower layer's entry.
            if any(_opaque(layer.joinpath(*parts[:n])) for n in range(1, len(parts))):
                return None
            continue
        if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
            return None   # whiteout: deleted by this layer
        return candidate, info
    return None


def lookup(root: Path | OverlayRoot, path: str, cwd: str = "/") -> ImageFile | None:
    """Resolve ``path`` (relative to ``cwd``) inside the image, following every symlink."""
    layers = _layers(root)
    pending = [p for p in posixpath.join(cwd, path).split("/") if p]
    resolved: list[str] = []
    links = 0
    found: tuple[Path, os.stat_result] | None = (layers[0], os.lstat(layers[0]))
    while pending:
        part = pending.pop(0)
        if part == ".":
            continue
        if part == "..":
            resolved = resolved[:-1]
            found = _entry(layers, "/".join(resolved)) if resolved else (layers[0], os.lstat(layers[0]))
            continue
        found = _entry(layers, "/".join([*resolved, part]))
        if found is None:
            return None
        host, info = found
        if stat.S_ISLNK(info.st_mode):
            links += 1
            if links > _MAX_LINKS:
                return None
            target = os.readlink(host)
            pending = [p for p in target.split("/") if p] + pending
            if target.startswith("/"):
                resolved = []
            continue
        resolved.append(part)
    if found is None:
        return None
    return ImageFile("/" + "/".join(resolved), found[0], found[1].st_mode)


def which(root: Path | OverlayRoot, name: str, path_env: str, cwd: str = "/") -> ImageFile | None:
    """Find ``name`` as execvp would: as a path when it has a slash, else through ``PATH``.

    Like execvp, a candidate that exists but is not executable is remembered and returned
    when nothing better is found, so the caller can say "not executable" instead of
    "not found".
    """
    if "/" in name:
        return lookup(root, name, cwd)
    fallback = None
    for directory in path_env.split(":"):
        found = lookup(root, posixpath.join(directory or ".", name), cwd)
        if found is not None and found.is_file:
            if found.executable:
                return found
            fallback = fallback or found
    return fallback
