"""Resolve an image's USER (name or id, optional group) through its own /etc/passwd and /etc/group."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pylint_image.linter.errors import SandboxError

from .paths import secure_join
from .spec import OverlayRoot
from pylint_image.linter.model.frozen import frozen


@frozen
class ImageUser:
    """Numeric identity and home directory of the image's USER, as Docker computes them."""

    uid: int
    gid: int
    groups: tuple[int, ...]
    home: str


def read_image_file(root: Path | OverlayRoot, path: str) -> str | None:
    """Read a text file from a rootfs dir or overlay lowers (topmost first); None if absent."""
    layers = root.lower if isinstance(root, OverlayRoot) else (root,)
    for layer in layers:
        try:
            candidate = secure_join(layer, path)
            info = os.lstat(candidate)
        except OSError:   # missing, or a symlink loop (the kernel would say ELOOP too)
            continue
        if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
            return None   # an overlay whiteout: deleted by a higher layer
        try:
            return candidate.read_text(errors="replace")
        except OSError:
            return None
    return None


def _entries(text: str | None) -> list[list[str]]:
    return [line.split(":") for line in (text or "").splitlines()
            if line and not line.startswith("#") and line.count(":") >= 2]


def _lookup(entries: list[list[str]], key: str) -> list[str] | None:
    """Find by name first, then by numeric id (as runc's user package does)."""
    by_name = next((e for e in entries if e[0] == key), None)
    if by_name is not None or not key.isdigit():
        return by_name
    return next((e for e in entries if len(e) > 2 and e[2] == key), None)


def resolve_user(root: Path | OverlayRoot, user: str | None) -> ImageUser:
    """Resolve ``USER`` (``name``, ``uid``, ``name:group``, ``uid:gid``; empty means root)."""
    name, _, group = (user or "root").partition(":")
    passwd = _entries(read_image_file(root, "/etc/passwd"))
    groups = _entries(read_image_file(root, "/etc/group"))
    entry = _lookup(passwd, name)
    if entry is None and not name.isdigit():
        raise SandboxError(f"unable to find user {name}: no matching entries in passwd file")
    uid = int(entry[2]) if entry else int(name)
    gid = int(entry[3]) if entry and len(entry) > 3 and entry[3].isdigit() else 0
    home = entry[5] if entry and len(entry) > 5 and entry[5] else "/"
    if group:
        found = _lookup(groups, group)
        if found is None and not group.isdigit():
            raise SandboxError(f"unable to find group {group}: no matching entries in group file")
        gid = int(found[2]) if found else int(group)
    member_of = {int(g[2]) for g in groups if len(g) > 3 and g[2].isdigit()
                 and entry and entry[0] in g[3].split(",")}
    return ImageUser(uid, gid, tuple(sorted(member_of | {gid})), home)
