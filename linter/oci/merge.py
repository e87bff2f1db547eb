"""Merge layer scans into one FileTree, applying whiteouts and opaque directories.

OCI semantics: a layer's whiteouts and opaque markers apply only to the layers below it,
so each layer first deletes from the tree built so far, then adds its own entries.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from types import MappingProxyType

from pylint_image.linter.model.image import Anomaly, FileEntry, FileKind, FileTree, Shadowed
from pylint_image.linter.oci.layer import LayerScan


class _Builder:
    """Mutable tree under construction: entries plus a child-name index per directory."""

    def __init__(self) -> None:
        self.entries: dict[str, FileEntry] = {}
        self.children: dict[str, set[str]] = {}
        self.contents: dict[str, bytes] = {}
        self.touched: dict[str, list[int]] = {}
        self.shadowed: list[Shadowed] = []
        self.anomalies: list[Anomaly] = []

    def touch(self, path: str, layer: int) -> None:
        marks = self.touched.setdefault(path, [])
        if not marks or marks[-1] != layer:
            marks.append(layer)

    def remove(self, path: str, layer: int, keep_self: bool = False) -> None:
        """Delete ``path`` and everything below it (or only below it when ``keep_self``)."""
        # Iterative, because a deep hostile tree must not hit the recursion limit.
        stack = [path]
        while stack:
            current = stack.pop()
            for name in self.children.pop(current, ()):
                stack.append(f"{'' if current == '/' else current}/{name}")
            if keep_self and current == path:
                self.children[current] = set()
                continue
            entry = self.entries.pop(current, None)
            self.contents.pop(current, None)
            if entry is not None:
                self.shadowed.append(Shadowed(entry, layer, deleted=True))
                self.touch(current, layer)
        if not keep_self:
            parent = posixpath.dirname(path)
            self.children.get(parent, set()).discard(posixpath.basename(path))

    def add(self, entry: FileEntry, layer: int) -> None:
        path = entry.path
        old = self.entries.get(path)
        if old is not None:
            if old.kind is FileKind.DIR and entry.kind is FileKind.DIR:
                pass  # re-stating a directory (new mode/owner) wastes no bytes
            else:
                self.shadowed.append(Shadowed(old, layer, deleted=False))
            if old.kind is FileKind.DIR and entry.kind is not FileKind.DIR:
                self.remove(path, layer, keep_self=True)
        self.entries[path] = entry
        self.contents.pop(path, None)
        self.touch(path, layer)
        self._link_parents(path)

    def _link_parents(self, path: str) -> None:
        # Tars often omit parent directory entries; the child index still needs them.
        while path != "/":
            parent, name = posixpath.split(path)
            siblings = self.children.setdefault(parent, set())
            if name in siblings:
                return
            siblings.add(name)
            path = parent


def merge_layers(scans: Sequence[LayerScan]) -> tuple[FileTree, tuple[Anomaly, ...]]:
    """Build the merged FileTree of ``scans`` (bottom layer first) and collect anomalies."""
    tree = _Builder()
    for index, scan in enumerate(scans):
        for directory in scan.opaque_dirs:
            tree.remove(directory, index, keep_self=True)
        emptied = set(scan.opaque_dirs)
        for path in scan.whiteouts:
            # A whiteout only makes sense for something below; inside a directory this layer
            # empties (opaque), the path may just have been removed with it.
            if (path not in tree.entries and path not in tree.children
                    and not any(d == "/" or path.startswith(d + "/") for d in emptied)):
                tree.anomalies.append(Anomaly(index, path, "whiteout-of-missing-path",
                                              "no lower layer has this path"))
            tree.remove(path, index)
        for entry in scan.entries:
            tree.add(entry, index)
            if entry.kind is FileKind.HARDLINK and entry.linkname not in tree.entries:
                tree.anomalies.append(Anomaly(index, entry.path, "hardlink-missing-target",
                                              entry.linkname))
        tree.contents.update(scan.contents)
        tree.anomalies.extend(scan.anomalies)
    files = FileTree(
        entries=MappingProxyType(tree.entries),
        children=MappingProxyType({k: frozenset(v) for k, v in tree.children.items()}),
        contents=MappingProxyType(tree.contents),
        touched=MappingProxyType({k: tuple(v) for k, v in tree.touched.items()}),
        shadowed=tuple(tree.shadowed),
    )
    return files, tuple(tree.anomalies)
