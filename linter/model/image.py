"""Image model: config, history, layers, file entries and the merged read-only file tree.

Everything here is pure data built by ``linter.oci``; rules read it and never mutate it.
Paths inside an image are always absolute, normalized POSIX paths (``/etc/passwd``).
"""

from __future__ import annotations

import posixpath
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field
from enum import Enum
from types import MappingProxyType
from typing import Any
from pylint_image.linter.model.frozen import frozen



# Bumped whenever a model class gains or loses a field: verify keeps loaded models as
# pickles (runner/image_level.py), and an old pickle would miss the new slots.
MODEL_VERSION = 2


def _empty() -> Mapping[Any, Any]:
    """Return a fresh read-only empty mapping (dataclass defaults must not be shared)."""
    return MappingProxyType({})


class FileKind(Enum):
    """The tar entry type of a file, as the image stores it."""

    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    CHAR = "char"
    BLOCK = "block"
    FIFO = "fifo"


@frozen
class FileEntry:
    """One file as a layer's tar records it (mode includes setuid/setgid/sticky bits)."""

    path: str
    kind: FileKind
    mode: int
    uid: int
    gid: int
    size: int
    linkname: str = ""
    layer_index: int = -1

    @property
    def is_setuid(self) -> bool:
        """True when the setuid or setgid bit is set on a regular file."""
        return self.kind is FileKind.FILE and bool(self.mode & 0o6000)


# Every Anomaly.kind the reader records (linter/oci/layer.py while scanning a layer, and
# linter/oci/merge.py while stacking them).  The image rules hostile-layer-entry and
# malformed-layer-entry report them, each a part (tests/image/test_hostile_findings.py
# checks that every kind is reported by exactly one of them).
ANOMALY_KINDS = ("path-traversal", "absolute-path", "unknown-type", "hardlink-escapes-root",
                 "symlink-escapes-root", "device-file", "sparse-file", "duplicate-entry",
                 "hardlink-missing-target", "whiteout-of-missing-path")


@frozen
class Anomaly:
    """Something hostile or suspicious found in a layer (path traversal, device file...).

    ``kind`` is one of ``ANOMALY_KINDS``; ``layer_index`` is the layer holding it.
    """

    layer_index: int
    path: str
    kind: str
    detail: str = ""


@frozen
class Healthcheck:
    """The HEALTHCHECK of an image config (durations in nanoseconds, as Docker stores them)."""

    test: tuple[str, ...]
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    retries: int = 0


@frozen
class ImageConfig:
    """The runtime configuration an image carries (``config`` in the OCI image config)."""

    user: str = ""
    env: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    workdir: str = ""
    exposed_ports: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=_empty)
    healthcheck: Healthcheck | None = None
    stop_signal: str = ""
    shell: tuple[str, ...] | None = None
    architecture: str = ""
    os: str = ""

    def env_dict(self) -> dict[str, str]:
        """Return ``env`` as a dict (a later duplicate wins, as in Docker)."""
        out: dict[str, str] = {}
        for item in self.env:
            key, _, value = item.partition("=")
            out[key] = value
        return out


@frozen
class HistoryEntry:
    """One ``history`` record of the image config."""

    created_by: str = ""
    empty_layer: bool = False
    comment: str = ""
    created: str = ""
    author: str = ""


@frozen
class Layer:
    """One filesystem layer: digests, sizes, the history entry that made it, and its entries.

    ``digest`` and ``size`` describe the blob as stored (possibly compressed); ``diff_id`` and
    ``uncompressed_size`` describe the tar stream.  ``whiteouts`` are the paths the layer
    deletes from lower layers and ``opaque_dirs`` the directories it empties.
    """

    index: int
    digest: str
    diff_id: str
    size: int
    uncompressed_size: int
    media_type: str
    history_index: int | None = None
    created_by: str = ""
    entries: tuple[FileEntry, ...] = ()
    whiteouts: tuple[str, ...] = ()
    opaque_dirs: tuple[str, ...] = ()
    # The bytes of this layer's own copies of the files some rule needs (see FileTree.contents),
    # including copies a later layer deletes or overwrites: they still ship in this layer.
    contents: Mapping[str, bytes] = field(default_factory=_empty, compare=False, repr=False)

    @property
    def files_size(self) -> int:
        """Sum of the sizes of the regular files this layer adds (computed once per layer)."""
        return _layer_sizes(self)[0]

    @property
    def content_size(self) -> int:
        """Docker's size of this layer (``docker history``), not the tar stream's length.

        overlay2 unpacks the layer into a directory and adds up ``lstat`` sizes of all but
        directories, each inode once (moby's ``directory.Size``): a regular file counts
        its size, a symlink the length of its target, a hard link nothing more, and
        directories, whiteouts (0:0 devices), devices and FIFOs nothing.  The last
        entry of a path wins, as unpacking overwrites.  Computed once per layer.
        """
        return _layer_sizes(self)[1]


@frozen
class Shadowed:
    """A file a later layer overwrote or deleted: its bytes still ship in the image."""

    entry: FileEntry
    by_layer: int
    deleted: bool


@frozen
class Waste:
    """dive's wasted space: bytes of files that later layers overwrite or delete."""

    wasted_bytes: int
    efficiency: float  # 1 - wasted / all file bytes of every layer (1.0: nothing wasted)
    files: tuple[Shadowed, ...]  # largest first


@frozen(eq=False)
class FileTree:
    """The merged filesystem after whiteouts and opaque directories, read-only.

    ``contents`` holds bytes only for small regular files that some rule declared in its
    needs; ``touched`` records, per path, every layer index that wrote or deleted it.
    """

    entries: Mapping[str, FileEntry]
    children: Mapping[str, frozenset[str]]
    contents: Mapping[str, bytes] = field(default_factory=_empty)
    touched: Mapping[str, tuple[int, ...]] = field(default_factory=_empty)
    shadowed: tuple[Shadowed, ...] = ()

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and _normal(path) in self.entries

    def stat(self, path: str) -> FileEntry | None:
        """Return the entry at ``path`` (without following symlinks), or None."""
        return self.entries.get(_normal(path))

    def has_content(self, path: str) -> bool:
        """True when the bytes of ``path`` were loaded (it matched some rule's needs)."""
        return _normal(path) in self.contents

    def read(self, path: str) -> bytes:
        """Return the bytes of a needed small regular file; KeyError when not loaded."""
        key = _normal(path)
        try:
            return self.contents[key]
        except KeyError:
            raise KeyError(f"{key}: content not loaded (not in any rule's needs, "
                           "not a regular file, or over the size cap)") from None

    def listdir(self, path: str) -> tuple[str, ...]:
        """Return the sorted child names of directory ``path`` (empty when none)."""
        return tuple(sorted(self.children.get(_normal(path), ())))

    def walk(self, prefix: str = "/") -> Iterator[FileEntry]:
        """Yield every entry under ``prefix`` (inclusive) in sorted path order.

        That is depth first, a directory before what it holds, siblings by name: the order
        of the paths compared component by component.  The sorted entries are computed once
        per tree and shared by every call (the image rules each walk the whole tree).
        """
        ordered, by_key = _walk_order(self)
        root = _normal(prefix)
        if root == "/":
            return iter(ordered)
        if not by_key or _SEP in root:   # a name with a NUL (never in a real tar): filter
            return iter([e for e in ordered if e.path == root or e.path.startswith(root + "/")])
        # Under ``root`` is one run of the order: its own key, then keys that go on with the separator.
        key = root.replace("/", _SEP)
        start = bisect_left(ordered, key, key=_walk_key)
        return iter(ordered[start:bisect_left(ordered, key + "\x01", lo=start, key=_walk_key)])

    def in_walk_order(self, entries: Iterable[FileEntry]) -> list[FileEntry]:
        """Some of this tree's entries, sorted as ``walk`` yields them.

        For a rule that wants a few entries (setuid files, say) in walk order: filtering
        ``entries.values()`` first and sorting what is left costs far less than a walk.
        """
        chosen = list(entries)
        if any(_SEP in entry.path for entry in chosen):
            chosen.sort(key=lambda entry: entry.path.split("/"))
        else:
            chosen.sort(key=_walk_key)
        return chosen

    def layers_touching(self, path: str) -> tuple[int, ...]:
        """Return the indices of the layers that wrote or deleted ``path``, in order."""
        return self.touched.get(_normal(path), ())

    def fates(self) -> dict[tuple[int, str], Shadowed]:
        """Map (layer index, path) of each copy a later layer deleted or overwrote to how.

        A copy missing from the result is the one the merged tree shows (or a directory
        that was only re-stated).  For a path one layer holds twice (a duplicate entry), the
        fate of its last copy.  Built on each call: call it once per rule.
        """
        # shadowed is in merge order, so a layer's last copy's fate comes last.
        return {(item.entry.layer_index, item.entry.path): item for item in self.shadowed}


@frozen
class Image:
    """A built image: where it came from, its config, history, layers and merged files."""

    ref: str
    digest: str
    config: ImageConfig
    history: tuple[HistoryEntry, ...]
    layers: tuple[Layer, ...]
    files: FileTree
    manifest_digest: str = ""
    annotations: Mapping[str, str] = field(default_factory=_empty)
    anomalies: tuple[Anomaly, ...] = ()

    def has_content_in_layer(self, index: int, path: str) -> bool:
        """True when layer ``index``'s own copy of ``path`` was loaded (it matched some rule's needs)."""
        return 0 <= index < len(self.layers) and _normal(path) in self.layers[index].contents

    def read_in_layer(self, index: int, path: str) -> bytes:
        """Return the bytes of layer ``index``'s own copy of a needed small regular file.

        Unlike ``files.read``, this sees copies that later layers deleted or overwrote.
        KeyError when not loaded.
        """
        key = _normal(path)
        try:
            return self.layers[index].contents[key]
        except (IndexError, KeyError):
            raise KeyError(f"{key}: content not loaded in layer {index} (not in any rule's needs, "
                           "not a regular file, or over the size cap)") from None

    @property
    def size(self) -> int:
        """Total length of the layers' uncompressed tar streams (``content_size`` is Docker's SIZE)."""
        return sum(layer.uncompressed_size for layer in self.layers)

    @property
    def content_size(self) -> int:
        """Docker's size of the image (``docker image ls`` SIZE): the layers' ``content_size``."""
        return sum(layer.content_size for layer in self.layers)

    @property
    def compressed_size(self) -> int:
        """Total stored size of all layer blobs."""
        return sum(layer.size for layer in self.layers)

    def waste(self) -> Waste:
        """The bytes later layers overwrite or delete, the efficiency score and the files, largest first."""
        files = tuple(sorted((s for s in self.files.shadowed if s.entry.size > 0),
                             key=lambda s: s.entry.size, reverse=True))
        wasted = sum(s.entry.size for s in files)
        total = sum(layer.files_size for layer in self.layers)
        return Waste(wasted, 1.0 - wasted / total if total else 1.0, files)

    @property
    def base_name(self) -> str:
        """The ``org.opencontainers.image.base.name`` annotation or label, or ``""``."""
        key = "org.opencontainers.image.base.name"
        return self.annotations.get(key) or self.config.labels.get(key, "")

    @property
    def base_digest(self) -> str:
        """The ``org.opencontainers.image.base.digest`` annotation or label, or ``""``."""
        key = "org.opencontainers.image.base.digest"
        return self.annotations.get(key) or self.config.labels.get(key, "")


def normalize(path: str) -> str:
    """Return ``path`` as an absolute, normalized in-image path (``./a//b/`` -> ``/a/b``)."""
    norm = posixpath.normpath("/" + path.lstrip("/"))
    # normpath keeps a leading "//" (POSIX allows it to be special); images never mean that.
    return "/" + norm.lstrip("/")


def _normal(path: str) -> str:
    """``normalize(path)``, without its cost for a path that is normal already (the usual)."""
    if path[:1] == "/" and "//" not in path and "/." not in path and (path[-1] != "/" or path == "/"):
        return path   # no empty, "." or ".." part and no trailing slash: normpath keeps it as is
    return normalize(path)


# Derived figures computed once per object.  The model classes are frozen and slotted (no
# room for a cache, no weak references), so the caches are keyed by id() and hold the
# object itself: a hit is the same object, never a newer one that reuses a freed id.
_SEP = "\0"   # sorts before any character a name can hold, so "/a/b" < "/a-c" as walk() orders them
_WALK_ORDERS: dict[int, tuple[FileTree, list[FileEntry], bool]] = {}
_LAYER_SIZES: dict[int, tuple[Layer, tuple[int, int]]] = {}


def _walk_key(entry: FileEntry) -> str:
    return entry.path.replace("/", _SEP)


def _walk_order(tree: FileTree) -> tuple[list[FileEntry], bool]:
    """Every entry of ``tree`` in walk order (the paths compared component by component), and
    whether ``_walk_key`` sorts them (no name holds a NUL).

    Every entry is reached from the root through ``children``, as ``linter.oci.merge`` builds
    the tree (``tests/image/test_walk_order.py`` compares this with a walk of the children).
    """
    cached = _WALK_ORDERS.get(id(tree))
    if cached is not None and cached[0] is tree:
        return cached[1], cached[2]
    entries = tree.entries
    paths = list(entries)
    by_key = not any(_SEP in path for path in paths)
    if by_key:
        paths.sort(key=lambda path: path.replace("/", _SEP))
    else:
        paths.sort(key=lambda path: path.split("/"))
    ordered = [entries[path] for path in paths]
    if len(_WALK_ORDERS) >= 4:
        _WALK_ORDERS.clear()
    _WALK_ORDERS[id(tree)] = (tree, ordered, by_key)
    return ordered, by_key


def _layer_sizes(layer: Layer) -> tuple[int, int]:
    """``(files_size, content_size)`` of ``layer``."""
    cached = _LAYER_SIZES.get(id(layer))
    if cached is not None and cached[0] is layer:
        return cached[1]
    file_kind, symlink_kind = FileKind.FILE, FileKind.SYMLINK
    entries = layer.entries
    files = sum([e.size for e in entries if e.kind is file_kind])
    last = {e.path: e for e in entries}
    if len(last) == len(entries):   # no path twice: every entry counts
        content = files + sum([len(e.linkname.encode("utf-8", "surrogateescape"))
                               for e in entries if e.kind is symlink_kind])
    else:
        content = sum([e.size if e.kind is file_kind
                       else len(e.linkname.encode("utf-8", "surrogateescape")) if e.kind is symlink_kind
                       else 0 for e in last.values()])
    sizes = (files, content)
    if len(_LAYER_SIZES) >= 256:
        _LAYER_SIZES.clear()
    _LAYER_SIZES[id(layer)] = (layer, sizes)
    return sizes
