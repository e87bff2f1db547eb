"""Scan one layer's tar stream once: file entries, whiteouts, anomalies and needed contents.

The tar is read by :mod:`.tarscan` in 1 MiB buffers; file data is skipped by reading forward
in bounded chunks (every byte is hashed), nothing is extracted and a member's declared size
is never allocated.  Only the bodies of the small files ``ContentNeeds`` names are read.
"""

from __future__ import annotations

import contextlib
import fnmatch
import gc
import re
from collections.abc import Iterable, Iterator
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any, Protocol

from pylint_image.linter.errors import SourceError
from pylint_image.linter.model.image import Anomaly, FileEntry, FileKind, normalize
from pylint_image.linter.oci import tarscan
from pylint_image.linter.oci.hashio import (
    HashingReader,
    PrefixedReader,
    Reader,
    ThreadedHashingReader,
    decompressed,
    read_head,
    short_switch_interval,
    sniff,
)
from pylint_image.linter.model.frozen import frozen
from pylint_image.linter.oci.tarscan import DIR, TarMember, TarScanner

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
DEFAULT_CONTENT_CAP = 64 * 1024

_KINDS = {
    tarscan.REG: FileKind.FILE, tarscan.AREG: FileKind.FILE,
    tarscan.CONT: FileKind.FILE, tarscan.GNU_SPARSE: FileKind.FILE,
    tarscan.DIR: FileKind.DIR, tarscan.SYM: FileKind.SYMLINK,
    tarscan.LNK: FileKind.HARDLINK, tarscan.CHR: FileKind.CHAR,
    tarscan.BLK: FileKind.BLOCK, tarscan.FIFO: FileKind.FIFO,
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
    _globs: GlobMatcher | None = field(default=None, compare=False)

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
        return cls(paths, globs, max_size, GlobMatcher(globs) if globs else None)

    def wants(self, path: str, size: int) -> bool:
        """True when a regular file at ``path`` of ``size`` bytes must be kept."""
        if size > self.max_size:
            return False
        if path in self.paths:
            return True
        matcher = self._globs
        if matcher is None:
            if not self.globs:
                return False
            # Built directly rather than by of(): compile once, on first use.
            matcher = GlobMatcher(self.globs)
            object.__setattr__(self, "_globs", matcher)
        return matcher.match(path)


class GlobMatcher:
    """``fnmatch`` globs on absolute paths, matched with a cheap test first.

    A path is tested for every regular file of every layer (100,000 of them), and a regex
    of a dozen ``/*...`` alternatives scans each path a dozen times.  Most globs end with
    literal text (``/*/id_rsa``, ``/*.pem``): a path that ends with none of those tails
    cannot match them, and ``str.endswith`` of a tuple tells that in one call.  The other
    globs (``/*/.env.*``) are matched on their own, after ``in`` tests of the literal text
    they must contain when they have one.
    """

    def __init__(self, globs: Iterable[str]) -> None:
        tailed, untailed = [], []
        tails = []
        for glob in globs:
            tail = _literal_tail(glob)
            if tail:
                tailed.append(glob)
                tails.append(tail)
            else:
                untailed.append(glob)
        self.tails = tuple(tails)
        self.everything = _compile(tailed + untailed)
        self.untailed = _compile(untailed)
        # Literal text each untailed glob must contain (None: some glob has none).
        hints = [_literal_part(g) for g in untailed]
        self.hints: tuple[str, ...] | None = tuple(hints) if all(hints) else None  # type: ignore[arg-type]

    def match(self, path: str) -> bool:
        """True when ``path`` matches one of the globs (as ``fnmatch.translate`` does)."""
        if self.tails and path.endswith(self.tails):
            return self.everything is not None and self.everything.match(path) is not None
        untailed = self.untailed
        if untailed is None:
            return False
        hints = self.hints
        if hints is not None and not any(hint in path for hint in hints):
            return False
        return untailed.match(path) is not None


_GLOB_SPECIAL = "*?[]"


def _compile(globs: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(fnmatch.translate(g) for g in globs)) if globs else None


def _literal_tail(glob: str) -> str:
    """The text after a glob's last special character: every match ends with it."""
    cut = max(glob.rfind(c) for c in _GLOB_SPECIAL)
    return glob[cut + 1:]


def _literal_part(glob: str) -> str | None:
    """The longest text between wildcards of a glob without classes; None when unsure."""
    if "[" in glob or "]" in glob:
        return None
    parts = glob.replace("?", "*").split("*")
    return max(parts, key=len) or None


NO_NEEDS = ContentNeeds()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector off inside (as it was before, after).

    Loading an image makes 40,000-100,000 entries, none of them garbage: without this the
    collector walks them again and again for nothing (3-5% of a load).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


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
    # The layer index every entry and anomaly carries; -1 while unknown (a streamed layer
    # is scanned before the manifest says where it goes).
    index: int = -1

    def with_index(self, index: int) -> LayerScan:
        """Return this scan with every entry and anomaly stamped with ``index``.

        A scan made with its index is returned as it is.  A scan that never had one (the
        streamed path) is stamped in place, once: its entries are not part of any model yet.
        Stamping it again with another index (``docker save`` lists a repeated layer twice,
        both times this one scan) copies the entries instead.
        """
        if self.index == index:
            return self
        if self.index == -1 and _SETTERS[-1] is not _no_set:
            set_index = _SETTERS[-1]
            for entry in self.entries:
                set_index(entry, index)
            self.anomalies = [replace(a, layer_index=index) for a in self.anomalies]
            self.index = index
            return self
        if all(e.layer_index == index for e in self.entries) and all(
                a.layer_index == index for a in self.anomalies):
            return self
        return LayerScan(
            self.digest, self.size, self.diff_id, self.uncompressed_size, self.compression,
            _restamped(self.entries, index), self.whiteouts,
            self.opaque_dirs, [replace(a, layer_index=index) for a in self.anomalies],
            self.contents, index)


def _restamped(entries: list[FileEntry], index: int) -> list[FileEntry]:
    """Copies of ``entries`` with ``layer_index`` set (a streamed layer learns its index last)."""
    new_entry = _NEW_ENTRY
    if new_entry is None:
        return [replace(e, layer_index=index) for e in entries]
    set_path, set_kind, set_mode, set_uid, set_gid, set_size, set_link, set_index = _SETTERS
    out = []
    for e in entries:
        copy = new_entry(FileEntry)
        set_path(copy, e.path)
        set_kind(copy, e.kind)
        set_mode(copy, e.mode)
        set_uid(copy, e.uid)
        set_gid(copy, e.gid)
        set_size(copy, e.size)
        set_link(copy, e.linkname)
        set_index(copy, index)
        out.append(copy)
    return out


def scan_blob(raw: Reader, name: str, needs: ContentNeeds = NO_NEEDS,
              index: int = -1) -> LayerScan:
    """Read a layer blob (gzip, zstd or plain tar) to its end and return what it holds."""
    head = read_head(raw, 512)
    compression = sniff(head)
    if compression == "unknown":
        if not head:
            raise SourceError(f"{name}: empty layer blob")
        raise SourceError(f"{name}: not a tar, gzip or zstd layer")
    scan = LayerScan(compression=compression, index=index)
    if compression == "tar":
        # Uncompressed: the blob digest is the diff_id, so hash the bytes only once.  The
        # worker thread reads and hashes while this one parses headers.
        blob = ThreadedHashingReader(PrefixedReader(head, raw))
        try:
            with short_switch_interval():
                _scan_tar(TarScanner(blob, name), needs, index, scan)
                blob.drain()
        finally:
            blob.close()
        scan.digest = scan.diff_id = blob.digest
        scan.size = scan.uncompressed_size = blob.count
        return scan
    # Compressed: the worker reads, hashes the blob, inflates and hashes the tar stream.
    outer = HashingReader(PrefixedReader(head, raw))
    inner = ThreadedHashingReader(decompressed(outer, compression, name))
    try:
        with short_switch_interval():
            _scan_tar(TarScanner(inner, name), needs, index, scan)
            # The tar's end marker may come before the end of the stream (padding,
            # trailing records): hash everything so the digests cover the whole blob.
            inner.drain()
    finally:
        inner.close()
    outer.drain()
    scan.digest, scan.size = outer.digest, outer.count
    scan.diff_id, scan.uncompressed_size = inner.digest, inner.count
    return scan


_ENTRY_FIELDS = ("path", "kind", "mode", "uid", "gid", "size", "linkname", "layer_index")


def _entry_setters() -> tuple[Callable[[type], Any] | None, tuple[Callable[[Any, Any], None], ...]]:
    """FileEntry's slot setters, to build the 40,000 entries of a layer without its __init__.

    The generated ``__init__`` of a ``@frozen`` class costs one ``object.__setattr__`` call
    per field; the slots' own descriptors do the same stores for about half the time.  Only
    while FileEntry has exactly these fields, as slots: otherwise the constructor is used.
    """
    slots = getattr(FileEntry, "__slots__", ())
    if tuple(f.name for f in fields(FileEntry)) != _ENTRY_FIELDS or tuple(slots) != _ENTRY_FIELDS:
        return None, (_no_set,) * len(_ENTRY_FIELDS)
    setters = tuple(getattr(FileEntry, name).__set__ for name in _ENTRY_FIELDS)
    return object.__new__, setters


def _no_set(entry: Any, value: Any) -> None:
    raise AssertionError("unused: FileEntry is built by its constructor")


_NEW_ENTRY, _SETTERS = _entry_setters()


def _scan_tar(tar: TarScanner, needs: ContentNeeds, index: int, scan: LayerScan) -> None:
    seen: set[str] = set()
    entries, anomalies = scan.entries, scan.anomalies
    wants = needs.wants
    kinds = _KINDS
    file_kind = FileKind.FILE
    new_entry = _NEW_ENTRY
    set_path, set_kind, set_mode, set_uid, set_gid, set_size, set_link, set_index = _SETTERS
    for member in tar:
        raw = member.name
        # The common case in one test: a relative, already normal name ("usr/bin/x").
        if raw and raw[0] != "." and raw[0] != "/" and "//" not in raw and "/." not in raw:
            path = "/" + raw
        else:
            entry = _odd_name(raw, member, index, scan)
            if entry is None:
                continue
            path = entry
        parent, _, base = path.rpartition("/")
        if base[:4] == WHITEOUT:
            if base == OPAQUE:
                scan.opaque_dirs.append(parent or "/")
            else:
                scan.whiteouts.append(parent + "/" + base[4:])
            continue
        kind = kinds.get(member.type)
        if kind is None:
            anomalies.append(Anomaly(index, path, "unknown-type", f"tar type {chr(member.type)!r}"))
            continue
        link = member.linkname
        if kind is not file_kind:
            link = _check_link(kind, path, parent, member, index, anomalies)
            size = 0
        else:
            size = member.size
            if member.sparse is not None:
                anomalies.append(Anomaly(index, path, "sparse-file", f"declares {size} bytes"))
        if path in seen:
            anomalies.append(Anomaly(index, path, "duplicate-entry",
                                     "the same path appears twice in one layer"))
        seen.add(path)
        if new_entry is None:
            entries.append(FileEntry(path, kind, member.mode, member.uid, member.gid, size, link,
                                     index))
        else:
            entry = new_entry(FileEntry)
            set_path(entry, path)
            set_kind(entry, kind)
            set_mode(entry, member.mode)
            set_uid(entry, member.uid)
            set_gid(entry, member.gid)
            set_size(entry, size)
            set_link(entry, link)
            set_index(entry, index)
            entries.append(entry)
        if kind is file_kind and wants(path, size):
            data = tar.read_data(member, needs.max_size)
            if data is not None:
                scan.contents[path] = data


def _odd_name(raw: str, member: TarMember, index: int, scan: LayerScan) -> str | None:
    """The path of a name that is not plainly relative and normal; None to drop the member."""
    path = normalize(raw)
    if _escapes(raw):
        scan.anomalies.append(Anomaly(index, path, "path-traversal", f"tar name {raw!r}"))
        return None
    if raw.startswith("/"):
        scan.anomalies.append(Anomaly(index, path, "absolute-path", f"tar name {raw!r}"))
    if path == "/" and member.type == DIR:
        return None  # the root itself ("./") carries no information we model
    return path


def _check_link(kind: FileKind, path: str, parent: str, member: TarMember, index: int,
                anomalies: list[Anomaly]) -> str:
    """A link's target as the model keeps it; record links escaping the root and devices."""
    link = member.linkname
    if kind is FileKind.HARDLINK:
        if _escapes(link):
            anomalies.append(Anomaly(index, path, "hardlink-escapes-root", link))
        return normalize(link)
    if kind is FileKind.SYMLINK:
        if not link.startswith("/") and ".." in link and _escapes((parent or "/") + "/" + link):
            anomalies.append(Anomaly(index, path, "symlink-escapes-root", link))
    elif kind is FileKind.CHAR or kind is FileKind.BLOCK:
        anomalies.append(Anomaly(index, path, "device-file",
                                 f"{kind.value} {member.devmajor}:{member.devminor}"))
    return link


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
