"""The layer cache on disk: entries, locks, least-recently-used eviction and ``cache prune``.

An entry ``ROOT/<alg>/<hex>/`` holds ``tree/`` (the layer), ``meta.json`` (what extraction
recorded, its sizes, the format) and ``used`` (whose mtime is its last use).  Entries are
made only by :class:`.rootfs.LayerCache`, after verification.  Locks are ``flock`` on the
entry dir: every run holds a shared lock on each entry it uses until it closes its cache;
eviction takes an exclusive lock without waiting and skips what it cannot get; an
extractor holds its ``.partial-*`` staging dir exclusively, so prune removes only
abandoned ones.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Collection
from pathlib import Path
from typing import TextIO

from pylint_image.linter.model.frozen import frozen

from .fsutil import DIR_FLAGS, format_size, remove_tree

LOG = logging.getLogger(__name__)
DEFAULT_MAX_BYTES = 10 << 30     # the whole cache (verify's default cap)
META_FORMAT = 2                  # entries without it predate verification: never trusted
DIGEST = re.compile(r"^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")
PARTIAL_GRACE = 600.0            # seconds: a staging dir younger than this may be starting up
_LOCK_TRIES = 50                 # x 10 ms: an evictor renames right after locking


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/pylint-image/layers``, else ``~/.cache/pylint-image/layers``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pylint-image" / "layers"


def lock_dir(path: Path, mode: int) -> int | None:
    """Open the dir ``path`` and flock it (never waiting long); None when gone or held."""
    for _try in range(_LOCK_TRIES):
        try:
            fd = os.open(path, DIR_FLAGS)
        except OSError:
            return None
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if mode == fcntl.LOCK_EX:
                return None   # in use: eviction never waits for a run
            time.sleep(0.01)
            continue
        if is_at(fd, path):
            return fd
        os.close(fd)   # renamed away (evicted) between open and lock
        return None
    return None


def is_at(fd: int, path: Path) -> bool:
    """True when ``path`` (not followed) is the inode open as ``fd``."""
    with contextlib.suppress(OSError):
        here, there = os.fstat(fd), os.stat(path, follow_symlinks=False)
        return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)
    return False


def evict(entry: Path) -> tuple[bool, list[str]]:
    """Remove a cache entry nobody holds; (removed, error lines).  Never waits."""
    fd = lock_dir(entry, fcntl.LOCK_EX)
    if fd is None:
        return not os.path.lexists(entry), []
    try:
        # Out of the namespace first: no reader can find a half-removed layer.
        grave = entry.parent / f".evict-{entry.name[:16]}-{secrets.token_hex(4)}"
        os.rename(entry, grave)
        return True, remove_tree(grave)
    except OSError as exc:
        return False, [f"{entry}: {exc.strerror}"]
    finally:
        os.close(fd)


def read_meta(fd: int) -> dict[str, object] | None:
    """The ``meta.json`` of the entry open as ``fd``; None when absent, unreadable or of another format."""
    try:
        meta_fd = os.open("meta.json", os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
        with os.fdopen(meta_fd, "rb") as handle:
            meta = json.loads(handle.read(1 << 24))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("format") == META_FORMAT else None


def touch(fd: int) -> None:
    """Record a use: the mtime of ``used`` orders eviction."""
    try:
        os.close(os.open("used", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o644, dir_fd=fd))
        os.utime("used", dir_fd=fd, follow_symlinks=False)
    except OSError as exc:   # a read-only cache still serves layers
        LOG.debug("cannot record the use of a cached layer: %s", exc)


@frozen
class CacheEntry:
    """One entry on disk, as eviction sees it."""

    path: Path
    diff_id: str
    disk_bytes: int
    used: float          # last use (epoch seconds); 0 for stale entries, which go first
    stale: bool = False  # an unverified older format: never served, always pruned


def scan(root: Path) -> list[CacheEntry]:
    """The layer entries under ``root`` (staging and evicted leftovers are not entries)."""
    found = []
    for algorithm in ("sha256", "sha512"):
        for child in _children(root / algorithm):
            diff_id = f"{algorithm}:{child.name}"
            if DIGEST.match(diff_id) and child.is_dir():
                found.append(_entry(child, diff_id))
    return found


def _children(directory: Path) -> list[Path]:
    """The entries of ``directory``; none when it is missing or unreadable."""
    try:
        with os.scandir(directory) as children:
            return [Path(child.path) for child in children]
    except OSError:
        return []


def _entry(path: Path, diff_id: str) -> CacheEntry:
    try:
        fd = os.open(path, DIR_FLAGS)
    except OSError:
        return CacheEntry(path, diff_id, 0, 0.0, stale=True)
    try:
        meta = read_meta(fd)
        if meta is None:
            return CacheEntry(path, diff_id, 0, 0.0, stale=True)
        with contextlib.suppress(OSError):
            return CacheEntry(path, diff_id, int(meta["disk_bytes"]),  # type: ignore[call-overload]
                              os.stat("used", dir_fd=fd, follow_symlinks=False).st_mtime)
        return CacheEntry(path, diff_id, int(meta["disk_bytes"]), 0.0)  # type: ignore[call-overload]
    finally:
        os.close(fd)


@frozen
class PruneResult:
    """What ``cache prune`` did."""

    root: Path
    removed: int = 0
    freed: int = 0
    leftovers: int = 0       # abandoned staging or half-evicted dirs removed
    kept: int = 0
    kept_bytes: int = 0
    in_use: int = 0          # entries a running verify holds
    errors: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for the terminal."""
        line = (f"{self.root}: removed {self.removed} layer(s) ({format_size(self.freed)})"
                f" and {self.leftovers} leftover dir(s); kept {self.kept} layer(s) "
                f"({format_size(self.kept_bytes)})")
        return line + (f", {self.in_use} in use" if self.in_use else "")


def prune(root: Path, max_bytes: int = 0, now: float | None = None) -> PruneResult:
    """Remove abandoned leftovers, then least recently used layers until at most ``max_bytes`` stay.

    Layers held by a running verify are never removed; stale (unverified) entries always are.
    """
    now = time.time() if now is None else now
    leftovers, errors = _prune_leftovers(root, now)
    if max_bytes == 0:
        leftovers += _prune_models(root)
    entries = scan(root)
    total = sum(e.disk_bytes for e in entries)
    removed = freed = in_use = 0
    for found in sorted(entries, key=lambda e: (not e.stale, e.used)):
        if total <= max_bytes and not found.stale:
            break
        gone, lines = evict(found.path)
        errors += lines
        if gone:
            removed, freed, total = removed + 1, freed + found.disk_bytes, total - found.disk_bytes
        else:
            in_use += 1
    kept = len(entries) - removed
    return PruneResult(root, removed, freed, leftovers, kept, total, in_use, tuple(errors))


def _prune_models(root: Path) -> int:
    """Remove the image models verify keeps beside the layers (runner/image_level.py); a count."""
    count = 0
    for path in _children(root / "images"):
        if path.name.endswith((".pickle", ".partial")):
            with contextlib.suppress(OSError):
                path.unlink()
                count += 1
    return count


def _prune_leftovers(root: Path, now: float) -> tuple[int, list[str]]:
    """Remove ``.partial-*`` dirs no extractor holds (and old enough) and ``.evict-*`` ones."""
    count, errors = 0, []
    for algorithm in ("sha256", "sha512"):
        leftovers = [c for c in _children(root / algorithm) if c.name.startswith((".partial-", ".evict-"))]
        for path in leftovers:
            with contextlib.suppress(OSError):
                if path.name.startswith(".partial-") and now - path.lstat().st_mtime < PARTIAL_GRACE:
                    continue
            fd = lock_dir(path, fcntl.LOCK_EX)
            if fd is None:
                continue   # its extractor (or evictor) is alive
            try:
                lines = remove_tree(path)
            finally:
                os.close(fd)
            errors += lines
            count += not lines
    return count, errors


def enforce_cap(root: Path, max_bytes: int, held: Collection[str]) -> None:
    """Evict least recently used entries (none in ``held``, none another run holds) down to ``max_bytes``."""
    entries = scan(root)
    total = sum(e.disk_bytes for e in entries)
    for found in sorted(entries, key=lambda e: e.used):
        if total <= max_bytes:
            break
        if found.diff_id in held:
            continue
        removed, errors = evict(found.path)
        for line in errors:
            LOG.warning("layer cache: %s", line)
        if removed:
            total -= found.disk_bytes


def run_command(argv: list[str], parser_class: type[argparse.ArgumentParser], out: TextIO,
                err: TextIO) -> int:
    """``pylint-image cache prune [--cache-dir DIR] [--max-size SIZE]``: 0, or 3 when removal failed."""
    from .spec import parse_size

    parser = parser_class(prog="pylint-image cache", description="Manage the layer cache of verify.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    pruning = actions.add_parser("prune", help="remove cached layers no running verify uses",
                                 description="Remove least recently used layers until at most "
                                 "SIZE stay (default 0: every layer no running verify holds), "
                                 "and staging dirs abandoned by interrupted runs.")
    pruning.add_argument("--cache-dir", type=Path, metavar="DIR", help="layer cache directory "
                         "(default ~/.cache/pylint-image/layers, as verify)")
    pruning.add_argument("--max-size", default="0", metavar="SIZE",
                         help="keep at most SIZE of layers, e.g. 2g (default 0)")
    args = parser.parse_args(argv)
    max_bytes = parse_size(args.max_size)   # a bad size is a usage error, before anything is touched
    result = prune(args.cache_dir or default_cache_dir(), max_bytes)
    out.write(result.summary() + "\n")
    for line in result.errors:
        err.write(f"pylint-image: error: {line}\n")
    return 3 if result.errors else 0
