"""Scan one layer's tar stream once: file entries, whiteouts, anomalies and needed contents.

The tar is read in stream mode (``r|``) so file data is skipped by reading forward in
bounded chunks; nothing is extracted and a member's declared size is never allocated.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol

from pylint_image.linter.errors import SourceError
from pylint_image.linter.model.image import Anomaly, FileEntry, FileKind, normalize
from pylint_image.linter.oci.hashio import (
    ForwardReader,
    HashingReader,
    PrefixedReader,
    Reader,
    decompressed,
    read_head,
    sniff,
)
from pylint_image.linter.model.frozen import frozen

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
DEFAULT_CONTENT_CAP = 64 * 1024

_KINDS = {
    tarfile.REGTYPE: FileKind.FILE, tarfile.AREGTYPE: FileKind.FILE,
    tarfile.CONTTYPE: FileKind.FILE, tarfile.GNUTYPE_SPARSE: FileKind.FILE,
    tarfile.DIRTYPE: FileKind.DIR, tarfile.SYMTYPE: FileKind.SYMLINK,
    tarfile.LNKTYPE: FileKind.HARDLINK, tarfile.CHRTYPE: FileKind.CHAR,
    tarfile.BLKTYPE: FileKind.BLOCK, tarfile.FIFOTYPE: FileKind.FIFO,
}


class NeedsLike(Protocol):
    """Anything with ``paths`` and ``globs`` (a rule's ``Needs``) names contents to keep."""

    @property
    def paths(self) -> tuple[str, ...]: ...

    @property
    def globs(self) -> tuple[str, ...]: ...


@frozen
class ContentNeeds:
    """The union of the paths and globs whose small regular files the loader keeps.

    Globs use ``fnmatch`` semantics on absolute paths, where ``*`` also matches ``/``
    (``/root/.ssh/*`` matches ``/root/.ssh/a/b``).  A file is kept only when its size is at
    most ``max_size`` bytes.
    """

    paths: frozenset[str] = frozenset()
    globs: tuple[str, ...] = ()
    max_size: int = DEFAULT_CONTENT_CAP
    _pattern: re.Pattern[str] | None = field(default=None, compare=False)

    @classmethod
    def of(cls, needs: Iterable[NeedsLike] | NeedsLike | None,
           max_size: int = DEFAULT_CONTENT_CAP) -> ContentNeeds:
        """Merge one needs object, an iterable of them, or None into a ContentNeeds."""
        if needs is None:
            items: list[NeedsLike] = []
        elif hasattr(needs, "paths"):
            items = [needs]  # type: ignore[list-item]
        else:
            items = list(needs)
        paths = frozenset(normalize(p) for item in items for p in item.paths)
        globs = tuple(sorted({g if g.startswith("/") else "/" + g
                              for item in items for g in item.globs}))
        pattern = re.compile("|".join(fnmatch.translate(g) for g in globs)) if globs else None
        return cls(paths, globs, max_size, pattern)

    def wants(self, path: str, size: int) -> bool:
        """True when a regular file at ``path`` of ``size`` bytes must be kept."""
        if size > self.max_size:
            return False
        if path in self.paths:
            return True
        return self._pattern is not None and self._pattern.match(path) is not None


NO_NEEDS = ContentNeeds()


@dataclass(slots=True)
class LayerScan:
    """What one pass over a layer blob found (mutable while scanning, then read-only)."""

    digest: str = ""
    size: int = 0
    diff_id: str = ""
    uncompressed_size: int = 0
    compression: str = "tar"
    entries: list[FileEntry] = field(default_factory=list)
    whiteouts: list[str] = field(default_factory=list)
    opaque_dirs: list[str] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    contents: dict[str, bytes] = field(default_factory=dict)

    def with_index(self, index: int) -> LayerScan:
        """Return this scan with every entry and anomaly stamped with ``index``."""
        if all(e.layer_index == index for e in self.entries):
            return self
        return LayerScan(
            self.digest, self.size, self.diff_id, self.uncompressed_size, self.compression,
            [replace(e, layer_index=index) for e in self.entries], self.whiteouts,
            self.opaque_dirs, [replace(a, layer_index=index) for a in self.anomalies],
            self.contents)


def scan_blob(raw: Reader, name: str, needs: ContentNeeds = NO_NEEDS,
              index: int = -1) -> LayerScan:
    """Read a layer blob (gzip, zstd or plain tar) to its end and return what it holds."""
    outer = HashingReader(raw)
    head = read_head(outer, 512)
    compression = sniff(head)
    if compression == "unknown":
        if not head:
            raise SourceError(f"{name}: empty layer blob")
        raise SourceError(f"{name}: not a tar, gzip or zstd layer")
    scan = LayerScan(compression=compression)
    if compression == "tar":
        # Uncompressed: the blob digest is the diff_id, so hash the bytes only once.
        _scan_tar(PrefixedReader(head, outer), name, needs, index, scan)
        outer.drain()
        scan.digest = scan.diff_id = outer.digest
        scan.size = scan.uncompressed_size = outer.count
        return scan
    inner = HashingReader(decompressed(PrefixedReader(head, outer), compression, name))
    _scan_tar(inner, name, needs, index, scan)
    # The tar's end marker may come before the end of the stream (padding, trailing
    # records): hash everything so the digests cover the whole blob.
    inner.drain()
    outer.drain()
    scan.digest, scan.size = outer.digest, outer.count
    scan.diff_id, scan.uncompressed_size = inner.digest, inner.count
    return scan


def _scan_tar(stream: Reader, name: str, needs: ContentNeeds, index: int,
              scan: LayerScan) -> None:
    seen: set[str] = set()
    try:
        # ForwardReader has no write(): typeshed's file protocol wants one, "r:" never calls it.
        with tarfile.open(fileobj=ForwardReader(stream), mode="r:") as tar:  # type: ignore[call-overload]
            while (member := tar.next()) is not None:
                # tarfile caches every TarInfo; drop them so memory grows with our entries only.
                tar.members.clear()
                entry = _entry(member, index, scan)
                if entry is None:
                    continue
                if entry.path in seen:
                    scan.anomalies.append(Anomaly(index, entry.path, "duplicate-entry",
                                                  "the same path appears twice in one layer"))
                seen.add(entry.path)
                scan.entries.append(entry)
                if entry.kind is FileKind.FILE and needs.wants(entry.path, entry.size):
                    scan.contents[entry.path] = _read_member(tar, member, needs.max_size)
    except tarfile.ReadError as exc:
        # tarfile reports a member whose declared size runs past the end this way.
        what = "truncated layer" if "unexpected end" in str(exc) else "unreadable layer tar"
        raise SourceError(f"{name}: {what} ({exc})") from None
    except (EOFError, tarfile.StreamError) as exc:
        raise SourceError(f"{name}: truncated layer ({exc or 'unexpected end of data'})") from None


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, cap: int) -> bytes:
    handle = tar.extractfile(member)
    if handle is None:
        return b""
    data = handle.read(cap + 1)
    if len(data) != member.size:
        raise EOFError(f"{member.name}: short read")
    return data


def _entry(member: tarfile.TarInfo, index: int, scan: LayerScan) -> FileEntry | None:
    """Turn a tar member into a FileEntry, or record a whiteout/anomaly and return None."""
    raw = member.name
    path = normalize(raw)
    if _escapes(raw):
        scan.anomalies.append(Anomaly(index, path, "path-traversal", f"tar name {raw!r}"))
        return None
    if raw.startswith("/"):
        scan.anomalies.append(Anomaly(index, path, "absolute-path", f"tar name {raw!r}"))
    if path == "/" and member.isdir():
        return None  # the root itself ("./") carries no information we model
    base = posixpath.basename(path)
    parent = posixpath.dirname(path)
    if base == OPAQUE:
        scan.opaque_dirs.append(parent)
        return None
    if base.startswith(WHITEOUT):
        scan.whiteouts.append(posixpath.join(parent, base[len(WHITEOUT):]))
        return None
    kind = _KINDS.get(member.type)
    if kind is None:
        scan.anomalies.append(Anomaly(index, path, "unknown-type", f"tar type {member.type!r}"))
        return None
    link = member.linkname
    if kind is FileKind.HARDLINK:
        if _escapes(link):
            scan.anomalies.append(Anomaly(index, path, "hardlink-escapes-root", link))
        link = normalize(link)
    elif kind is FileKind.SYMLINK and not link.startswith("/"):
        if _escapes(posixpath.join(parent, link)):
            scan.anomalies.append(Anomaly(index, path, "symlink-escapes-root", link))
    elif kind in (FileKind.CHAR, FileKind.BLOCK):
        scan.anomalies.append(Anomaly(index, path, "device-file",
                                      f"{kind.value} {member.devmajor}:{member.devminor}"))
    if member.type == tarfile.GNUTYPE_SPARSE or member.sparse is not None:
        scan.anomalies.append(Anomaly(index, path, "sparse-file",
                                      f"declares {member.size} bytes"))
    size = member.size if kind is FileKind.FILE else 0
    return FileEntry(path, kind, member.mode, member.uid, member.gid, size, link, index)


def _escapes(name: str) -> bool:
    """True when a relative tar path climbs above its root (``a/../../x``)."""
    depth = 0
    for part in name.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False
