"""Unpack one layer tar stream into a directory, treating the layer as hostile.

- no ``..`` or absolute names; parents are opened one component at a time with
  ``O_NOFOLLOW`` from the layer root's descriptor, so nothing is ever written through a
  symlink (the layer's own or an earlier member's), however deep the tree;
- no device nodes; hard links only to regular files of the same layer;
- sparse members (old GNU and PAX 0.0/0.1/1.0) are refused: expanded, 2 MB of archive
  can declare 10 GiB, and no tool we feed the tree to keeps the holes;
- no file is written from a member declaring more than what is left of the image's
  extraction cap (:class:`Budget`); the stream itself is charged as it is read.

Whiteouts become overlayfs whiteouts (0/0 character devices) and opaque dirs get
``trusted.overlay.opaque`` when we are root, so the tree is directly usable as a lowerdir.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pylint_image.linter.errors import SourceError
from pylint_image.linter.model.frozen import frozen

from .fsutil import DIR_FLAGS, format_size, open_beneath, open_dir_at, remove_at, short
from .layer_source import LayerSource as LayerSource  # re-exported: rootfs and verify name it from here

LOG = logging.getLogger(__name__)
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
DEFAULT_IMAGE_BYTES = 8 << 30    # uncompressed layer tars of one image
_OPAQUE_XATTR = "trusted.overlay.opaque"
_CHUNK = 1 << 20
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@frozen
class ExtractedLayer:
    """A layer unpacked in the cache, with what extraction recorded about it."""

    diff_id: str
    path: Path
    whiteouts: tuple[str, ...] = ()
    opaque_dirs: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()   # (member name, reason)
    overlay_ready: bool = False                 # whiteouts exist as 0/0 char devices
    tar_bytes: int = 0                          # length of the uncompressed tar stream
    disk_bytes: int = 0                         # what the tree takes on disk


class Budget:
    """The bytes of uncompressed layer tar one image may still unpack (the extraction cap)."""

    def __init__(self, cap: int = DEFAULT_IMAGE_BYTES) -> None:
        self.cap = cap
        self.left = cap

    def spend(self, count: int, what: str) -> None:
        """Take ``count`` bytes; SourceError once the image's layers exceed the cap."""
        self.left -= count
        if self.left < 0:
            raise SourceError(f"{what}: the image's layers exceed the "
                              f"{format_size(self.cap)} extraction cap")

    def admit(self, size: int, what: str) -> None:
        """Refuse, before anything is written, a member declaring more than what is left."""
        if size > self.left:
            raise SourceError(f"{what}: declares {format_size(size)}, over the "
                              f"{format_size(self.cap)} extraction cap of one image")


def _parts(name: str) -> tuple[str, ...] | None:
    """The member's path components; None when absolute or climbing with ``..``."""
    if name.startswith("/"):
        return None
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    return None if ".." in parts else parts


@dataclass(slots=True)
class _Extraction:
    """Mutable state of one layer extraction (not shared, not returned)."""

    root_fd: int
    as_root: bool
    budget: Budget
    label: str
    whiteouts: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[tuple[tuple[str, ...], int]] = field(default_factory=list)
    cached: tuple[tuple[str, ...], int] | None = None   # the last parent dir opened

    def parent(self, parts: tuple[str, ...]) -> int | None:
        """The (borrowed) fd of the directory ``parts``, made when missing; None through a link."""
        start, rest = self.root_fd, parts
        if self.cached is not None:
            known, fd = self.cached
            if parts == known:
                return fd
            if parts[:len(known)] == known:
                # Members come in tree order: usually the parent is the last one or below it.
                start, rest = fd, parts[len(known):]
        opened = open_beneath(start, rest, create=True)
        if opened is not None:
            self.forget()
            self.cached = (parts, opened)
        return opened

    def forget(self) -> None:
        """Close the cached parent descriptor."""
        if self.cached is not None:
            os.close(self.cached[1])
            self.cached = None

    def clear(self, fd: int, name: str, keep_dir: bool = False) -> None:
        """Remove what an earlier member put at ``name`` (a child of the cached parent, never above it)."""
        try:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(info.st_mode):
            if not keep_dir:
                errors = remove_at(fd, name)
                if errors:
                    raise OSError(errors[0])
        else:
            os.unlink(name, dir_fd=fd)

    def mode(self, member: tarfile.TarInfo) -> int:
        """The mode to give: setuid bits only survive for root, as in Docker."""
        return member.mode & (0o7777 if self.as_root else 0o777)


def _whiteout(ex: _Extraction, fd: int, parts: tuple[str, ...]) -> str | None:
    """Record a whiteout or opaque marker and, as root, write overlayfs's own form of it."""
    name = parts[-1]
    if name == OPAQUE:
        ex.opaque.append("/".join(parts[:-1]))
        if ex.as_root:
            os.setxattr(fd, _OPAQUE_XATTR, b"y")
        return None
    hidden = name[len(WHITEOUT):]
    if hidden in ("", ".", ".."):
        return "whiteout of no name, . or .."   # would hide the parent (or its parent)
    ex.whiteouts.append("/".join((*parts[:-1], hidden)))
    if ex.as_root:
        ex.clear(fd, hidden)
        os.mknod(hidden, stat.S_IFCHR | 0o000, os.makedev(0, 0), dir_fd=fd)
    return None


def _write_file(ex: _Extraction, tar: tarfile.TarFile, member: tarfile.TarInfo, fd: int,
                name: str) -> None:
    ex.budget.admit(member.size, f"{ex.label}: member {short(member.name)!r}")
    source = tar.extractfile(member)
    assert source is not None   # a regular member always has data
    with source, os.fdopen(os.open(name, _FILE_FLAGS, 0o600, dir_fd=fd), "wb") as out:
        while chunk := source.read(_CHUNK):
            out.write(chunk)
        out.flush()
        if ex.as_root:
            os.fchown(out.fileno(), member.uid, member.gid)
        os.fchmod(out.fileno(), ex.mode(member))
        with contextlib.suppress(OSError, OverflowError):
            os.utime(out.fileno(), (member.mtime, member.mtime))


def _directory(ex: _Extraction, member: tarfile.TarInfo, fd: int, parts: tuple[str, ...]) -> None:
    name = parts[-1]
    ex.clear(fd, name, keep_dir=True)
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, 0o700, dir_fd=fd)
    child = open_dir_at(fd, name)
    try:
        if ex.as_root:
            os.fchown(child, member.uid, member.gid)
        mode = ex.mode(member)
        if not ex.as_root and mode & 0o700 != 0o700:
            # Without root a read-only dir would refuse its own members: set its mode last.
            ex.deferred.append((parts, mode))
            mode |= 0o700
        os.fchmod(child, mode)
        with contextlib.suppress(OSError, OverflowError):
            os.utime(child, (member.mtime, member.mtime))
    finally:
        os.close(child)


def _hardlink(ex: _Extraction, member: tarfile.TarInfo, fd: int, name: str) -> str | None:
    """Link to an earlier regular file of this layer; return a skip reason otherwise."""
    target = _parts(member.linkname)
    if not target:
        return "hard link leaves the layer"
    source = open_beneath(ex.root_fd, target[:-1])
    if source is None:
        return "hard link to a missing target"
    try:
        try:
            info = os.stat(target[-1], dir_fd=source, follow_symlinks=False)
        except FileNotFoundError:
            return "hard link to a missing target"
        if not stat.S_ISREG(info.st_mode):
            return "hard link to a non-regular file"
        os.link(target[-1], name, src_dir_fd=source, dst_dir_fd=fd, follow_symlinks=False)
    finally:
        os.close(source)
    return None


def _other(ex: _Extraction, member: tarfile.TarInfo, fd: int, name: str) -> str | None:
    """Symlinks and FIFOs (attributes set by name, never following); devices are refused."""
    if member.issym():
        os.symlink(member.linkname, name, dir_fd=fd)   # written, never followed while extracting
    elif member.isfifo():
        os.mkfifo(name, 0o600, dir_fd=fd)
    else:
        return "device node"
    if ex.as_root:
        os.chown(name, member.uid, member.gid, dir_fd=fd, follow_symlinks=False)
    if member.isfifo():
        os.chmod(name, ex.mode(member), dir_fd=fd)
    with contextlib.suppress(OSError, OverflowError):
        os.utime(name, (member.mtime, member.mtime), dir_fd=fd, follow_symlinks=False)
    return None


def _member(ex: _Extraction, tar: tarfile.TarFile, member: tarfile.TarInfo) -> str | None:
    """Extract one member; return why it was skipped, or None."""
    if member.issparse():
        raise SourceError(f"{ex.label}: member {short(member.name)!r} is a sparse file "
                          f"({format_size(member.size)} declared); sparse members are refused")
    parts = _parts(member.name)
    if parts is None:
        return "absolute or escaping path"
    if not parts:
        return None   # the layer root itself ("./"): the image root's mode is not the layer's
    fd = ex.parent(parts[:-1])
    if fd is None:
        return "parent is a symlink or file"
    name = parts[-1]
    if name.startswith(WHITEOUT):
        return _whiteout(ex, fd, parts)
    if member.isdir():
        _directory(ex, member, fd, parts)
        return None
    if not (member.isreg() or member.issym() or member.islnk() or member.isfifo()):
        return "device node"
    ex.clear(fd, name)
    if member.isreg():
        _write_file(ex, tar, member, fd, name)
        return None
    return _hardlink(ex, member, fd, name) if member.islnk() else _other(ex, member, fd, name)


def _each_member(ex: _Extraction, stream: BinaryIO) -> None:
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            tar.members.clear()  # type: ignore[attr-defined]  # tarfile keeps every TarInfo otherwise (not in typeshed)
            try:
                reason = _member(ex, tar, member)
            except (OSError, ValueError, OverflowError) as exc:
                what = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                raise SourceError(f"{ex.label}: cannot extract {short(member.name)!r} ({what})") from None
            if reason is not None:
                LOG.debug("skipped %s: %s", member.name, reason)
                ex.skipped.append((member.name, reason))


def extract_layer(stream: BinaryIO, dest: Path, as_root: bool | None = None,
                  budget: Budget | None = None, label: str = "") -> ExtractedLayer:
    """Safely unpack an uncompressed layer tar stream into the empty dir ``dest``."""
    root_fd = os.open(dest, DIR_FLAGS)
    ex = _Extraction(root_fd, os.geteuid() == 0 if as_root is None else as_root,
                     budget or Budget(), label or str(dest))
    try:
        _each_member(ex, stream)
        for parts, mode in reversed(ex.deferred):
            fd = open_beneath(root_fd, parts)
            if fd is not None:
                os.fchmod(fd, mode)
                os.close(fd)
    except (tarfile.TarError, EOFError) as error:
        raise SourceError(f"{ex.label}: corrupt layer tar ({error})") from None
    finally:
        ex.forget()
        os.close(root_fd)
    return ExtractedLayer("", dest, tuple(ex.whiteouts), tuple(ex.opaque), tuple(ex.skipped),
                          overlay_ready=ex.as_root)
