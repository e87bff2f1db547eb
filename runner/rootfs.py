"""Unpack image layers once into a digest-keyed cache and assemble a container root from them.

Extraction treats every layer as hostile: no ``..`` or absolute names, never follows a
symlink it (or an earlier member) created, no device nodes, hard links only inside the
layer. Whiteouts become overlayfs whiteouts (0/0 character devices) and opaque dirs get
``trusted.overlay.opaque`` when we are root, so the cache is directly usable as lowerdirs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from pylint_image.linter.errors import SourceError

from .sandbox.spec import OverlayRoot
from pylint_image.linter.model.frozen import frozen

LOG = logging.getLogger(__name__)
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
_OPAQUE_XATTR = "trusted.overlay.opaque"
_CHUNK = 1 << 20


@frozen
class LayerSource:
    """One layer: its uncompressed digest and a function opening its tar stream."""

    diff_id: str
    open: Callable[[], BinaryIO]


@frozen
class ExtractedLayer:
    """A layer unpacked in the cache, with what extraction recorded about it."""

    diff_id: str
    path: Path
    whiteouts: tuple[str, ...] = ()
    opaque_dirs: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()   # (member name, reason)
    overlay_ready: bool = False                 # whiteouts exist as 0/0 char devices


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/pylint-image/layers``, else ``~/.cache/pylint-image/layers``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pylint-image" / "layers"


def _safe_name(name: str) -> PurePosixPath | None:
    """Return the member's relative path, or None when it is absolute or climbs with ``..``."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        return None
    parts = [p for p in path.parts if p not in ("", ".")]
    return PurePosixPath(*parts) if parts else None


@dataclass(slots=True)
class _Extraction:
    """Mutable state of one layer extraction (not shared, not returned)."""

    root: Path
    as_root: bool
    whiteouts: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    dir_modes: list[tuple[Path, int]] = field(default_factory=list)

    def parent_ok(self, rel: PurePosixPath) -> bool:
        """Create missing parents; refuse when any existing parent is not a real directory."""
        current = self.root
        for part in rel.parent.parts:
            current = current / part
            try:
                mode = os.lstat(current).st_mode
            except FileNotFoundError:
                current.mkdir(mode=0o755)
                continue
            if not stat.S_ISDIR(mode):   # a symlink (or file) here would redirect the write
                return False
        return True

    def clear(self, target: Path, keep_dir: bool = False) -> None:
        """Remove whatever an earlier member put at ``target`` (never following links)."""
        if target.is_dir() and not target.is_symlink():
            if not keep_dir:
                shutil.rmtree(target)
        elif target.is_symlink() or target.exists():
            target.unlink()


def _whiteout(ex: _Extraction, rel: PurePosixPath) -> None:
    """Record a whiteout or opaque marker and, as root, write overlayfs's own form of it."""
    parent = ex.root / rel.parent
    if rel.name == OPAQUE:
        ex.opaque.append(str(rel.parent))
        if ex.as_root:
            os.setxattr(parent, _OPAQUE_XATTR, b"y", follow_symlinks=False)
        return
    hidden = rel.parent / rel.name[len(WHITEOUT):]
    ex.whiteouts.append(str(hidden))
    if ex.as_root:
        ex.clear(ex.root / hidden)
        os.mknod(ex.root / hidden, stat.S_IFCHR | 0o000, os.makedev(0, 0))


def _write_file(ex: _Extraction, tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    source = tar.extractfile(member)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    with source, os.fdopen(os.open(target, flags, 0o600), "wb") as out:
        shutil.copyfileobj(source, out, _CHUNK)


def _hardlink(ex: _Extraction, member: tarfile.TarInfo, target: Path) -> str | None:
    """Link to an earlier regular file of this layer; return a skip reason otherwise."""
    rel = _safe_name(member.linkname)
    if rel is None:
        return "hard link leaves the layer"
    source = ex.root / rel
    try:
        if not stat.S_ISREG(os.lstat(source).st_mode) or not ex.parent_ok(rel):
            return "hard link to a non-regular file"
    except FileNotFoundError:
        return "hard link to a missing target"
    os.link(source, target, follow_symlinks=False)
    return None


def _member(ex: _Extraction, tar: tarfile.TarFile, member: tarfile.TarInfo) -> str | None:
    """Extract one member; return why it was skipped, or None."""
    rel = _safe_name(member.name)
    if rel is None:
        return "absolute or escaping path"
    if rel.name.startswith(WHITEOUT):
        if not ex.parent_ok(rel):
            return "whiteout under a symlink or file"
        _whiteout(ex, rel)
        return None
    if not ex.parent_ok(rel):
        return "parent is a symlink or file"
    target = ex.root / rel
    if member.isdir():
        ex.clear(target, keep_dir=True)
        target.mkdir(exist_ok=True)
        ex.dir_modes.append((target, member.mode))
    elif member.isreg():
        ex.clear(target)
        _write_file(ex, tar, member, target)
    elif member.issym():
        ex.clear(target)
        os.symlink(member.linkname, target)   # written, never followed while extracting
    elif member.islnk():
        ex.clear(target)
        return _hardlink(ex, member, target)
    elif member.isfifo():
        ex.clear(target)
        os.mkfifo(target)
    else:
        return "device node"
    _set_attrs(ex, member, target)
    return None


def _set_attrs(ex: _Extraction, member: tarfile.TarInfo, target: Path) -> None:
    """Keep ownership (as root) and mode; setuid bits only survive for root, as in Docker."""
    if ex.as_root:
        os.chown(target, member.uid, member.gid, follow_symlinks=False)
    if not member.issym() and not member.isdir():
        mode = member.mode & (0o7777 if ex.as_root else 0o777)
        os.chmod(target, mode)
    with contextlib.suppress(OSError):
        os.utime(target, (member.mtime, member.mtime), follow_symlinks=False)


def extract_layer(stream: BinaryIO, dest: Path, as_root: bool | None = None) -> ExtractedLayer:
    """Safely unpack an uncompressed layer tar stream into the empty dir ``dest``."""
    ex = _Extraction(dest, os.geteuid() == 0 if as_root is None else as_root)
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                reason = _member(ex, tar, member)
                if reason is not None:
                    LOG.debug("skipped %s: %s", member.name, reason)
                    ex.skipped.append((member.name, reason))
    except (tarfile.TarError, EOFError) as error:
        raise SourceError(f"corrupt layer tar: {error}", dest) from error
    # Directory modes last: a read-only dir must still accept its own members first.
    for directory, mode in reversed(ex.dir_modes):
        os.chmod(directory, mode & (0o7777 if ex.as_root else 0o777))
    return ExtractedLayer("", dest, tuple(ex.whiteouts), tuple(ex.opaque), tuple(ex.skipped),
                          overlay_ready=ex.as_root)


class LayerCache:
    """Layers unpacked once under ``root/<algorithm>/<hex>/tree`` with a ``meta.json`` beside it."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_cache_dir()
        self.extractions = 0   # how many layers this instance actually unpacked

    def _dir(self, diff_id: str) -> Path:
        algorithm, _, digest = diff_id.partition(":")
        if not digest or not digest.isalnum() or not algorithm.isalnum():
            raise SourceError(f"invalid layer digest {diff_id!r}")
        return self.root / algorithm / digest

    def get(self, diff_id: str) -> ExtractedLayer | None:
        """The cached layer, or None when it was never unpacked."""
        entry = self._dir(diff_id)
        try:
            meta = json.loads((entry / "meta.json").read_text())
        except (OSError, ValueError):
            return None
        return ExtractedLayer(diff_id, entry / "tree", tuple(meta["whiteouts"]),
                              tuple(meta["opaque_dirs"]), tuple(map(tuple, meta["skipped"])),
                              meta["overlay_ready"])

    def ensure(self, layer: LayerSource) -> ExtractedLayer:
        """Return the cached layer, unpacking it first (atomically) when missing."""
        found = self.get(layer.diff_id)
        if found is not None:
            return found
        entry = self._dir(layer.diff_id)
        entry.parent.mkdir(parents=True, exist_ok=True)
        # Unpack beside the final place, then rename: readers never see a half layer.
        staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=entry.parent))
        try:
            (staging / "tree").mkdir()
            with layer.open() as stream:
                done = extract_layer(stream, staging / "tree")
            meta = {"whiteouts": done.whiteouts, "opaque_dirs": done.opaque_dirs,
                    "skipped": done.skipped, "overlay_ready": done.overlay_ready}
            (staging / "meta.json").write_text(json.dumps(meta))
            self.extractions += 1
            try:
                staging.rename(entry)
            except OSError:   # another process won the race: its copy is as good as ours
                LOG.debug("layer %s was cached concurrently", layer.diff_id)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        result = self.get(layer.diff_id)
        assert result is not None
        return result


def _merge_layer(layer: ExtractedLayer, dest: Path) -> None:
    """Apply one layer onto ``dest``: opaque dirs and whiteouts first, then its files."""
    whiteouts = set(layer.whiteouts)
    for rel in (*layer.opaque_dirs, *layer.whiteouts):
        target = dest / rel
        if rel in layer.opaque_dirs and target.is_dir() and not target.is_symlink():
            for child in target.iterdir():
                _remove(child)
        elif rel in whiteouts:
            _remove(target)
    for current, dirs, files in os.walk(layer.path):
        rel_dir = Path(current).relative_to(layer.path)
        for name in (*dirs, *files):
            rel = rel_dir / name
            if str(rel) in whiteouts:
                continue   # the overlay marker itself is not content
            source, target = layer.path / rel, dest / rel
            if source.is_dir() and not source.is_symlink():
                if target.is_symlink() or (target.exists() and not target.is_dir()):
                    _remove(target)
                target.mkdir(exist_ok=True)
                shutil.copystat(source, target)
            else:
                _remove(target)
                shutil.copy2(source, target, follow_symlinks=False)
        dirs[:] = [d for d in dirs if not (Path(current) / d).is_symlink()]


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.is_symlink() or path.exists():
        path.unlink()


@contextlib.contextmanager
def assembled_rootfs(layers: Sequence[LayerSource], cache: LayerCache, overlay: bool,
                     workdir: Path | None = None) -> Iterator[Path | OverlayRoot]:
    """Yield a root for SandboxSpec.rootfs: an OverlayRoot over cached layers, or a copied tree.

    Overlay is used when asked for and every layer carries overlay whiteouts; the sandbox
    mounts it inside its own mount namespace. The copy fallback is removed on exit.
    """
    extracted = [cache.ensure(layer) for layer in layers]
    if overlay and all(layer.overlay_ready for layer in extracted):
        yield OverlayRoot(tuple(layer.path for layer in reversed(extracted)))
        return
    temp = Path(tempfile.mkdtemp(prefix="pylint-image-rootfs-", dir=workdir))
    try:
        root = temp / "root"
        root.mkdir()
        for layer in extracted:
            _merge_layer(layer, root)
        yield root
    finally:
        shutil.rmtree(temp, ignore_errors=True)
