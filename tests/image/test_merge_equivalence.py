"""The optimised layer merge (linter/oci/merge.py) against a plain reference implementation.

The reference is the straightforward algorithm the merge started as: one method call per
entry, ``posixpath`` for parents, lists for ``touched``.  Random layer stacks with
whiteouts, opaque directories, files replaced by directories and the reverse, hard links
and contents must give the same tree, child index, contents, ``touched``, ``shadowed``
(in the same order) and anomalies.
"""

from __future__ import annotations

import posixpath
import random
from types import MappingProxyType

import pytest

from pylint_image.linter.model.image import Anomaly, FileEntry, FileKind, FileTree, Shadowed
from pylint_image.linter.oci.layer import LayerScan
from pylint_image.linter.oci.merge import merge_layers


class _Reference:
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
        stack = [path]
        while stack:
            current = stack.pop()
            for name in sorted(self.children.pop(current, ()), reverse=True):
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
            self.children.get(posixpath.dirname(path), set()).discard(posixpath.basename(path))

    def add(self, entry: FileEntry, layer: int) -> None:
        path = entry.path
        old = self.entries.get(path)
        if old is not None:
            if not (old.kind is FileKind.DIR and entry.kind is FileKind.DIR):
                self.shadowed.append(Shadowed(old, layer, deleted=False))
            if old.kind is FileKind.DIR and entry.kind is not FileKind.DIR:
                self.remove(path, layer, keep_self=True)
        self.entries[path] = entry
        self.contents.pop(path, None)
        self.touch(path, layer)
        while path != "/":
            parent, name = posixpath.split(path)
            siblings = self.children.setdefault(parent, set())
            if name in siblings:
                return
            siblings.add(name)
            path = parent


def _reference_merge(scans: list[LayerScan]) -> tuple[FileTree, tuple[Anomaly, ...]]:
    tree = _Reference()
    for index, scan in enumerate(scans):
        for directory in scan.opaque_dirs:
            tree.remove(directory, index, keep_self=True)
        emptied = set(scan.opaque_dirs)
        for path in scan.whiteouts:
            if (path not in tree.entries and path not in tree.children
                    and not any(d == "/" or path.startswith(d + "/") for d in emptied)):
                tree.anomalies.append(Anomaly(index, path, "whiteout-of-missing-path",
                                              "no lower layer has this path"))
            tree.remove(path, index)
        for entry in scan.entries:
            tree.add(entry, index)
            if entry.kind is FileKind.HARDLINK and entry.linkname not in tree.entries:
                tree.anomalies.append(Anomaly(index, entry.path, "hardlink-missing-target", entry.linkname))
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


_NAMES = ("a", "b", "c", "d")
_KINDS = (FileKind.FILE, FileKind.FILE, FileKind.DIR, FileKind.DIR, FileKind.SYMLINK, FileKind.HARDLINK)


def _path(rng: random.Random) -> str:
    return "/" + "/".join(rng.choice(_NAMES) for _ in range(rng.randint(1, 4)))


def _random_stack(rng: random.Random) -> list[LayerScan]:
    scans = []
    for index in range(rng.randint(1, 6)):
        scan = LayerScan()
        if index and rng.random() < 0.4:
            scan.opaque_dirs = sorted({_path(rng) for _ in range(rng.randint(1, 2))}
                                      | ({"/"} if rng.random() < 0.05 else set()))
        if index and rng.random() < 0.6:
            scan.whiteouts = [_path(rng) for _ in range(rng.randint(1, 4))]
        for _ in range(rng.randint(0, 25)):
            path, kind = _path(rng), rng.choice(_KINDS)
            link = _path(rng) if kind in (FileKind.SYMLINK, FileKind.HARDLINK) else ""
            size = rng.randint(0, 9) if kind is FileKind.FILE else 0
            scan.entries.append(FileEntry(path, kind, rng.choice((0o644, 0o755, 0o4755)), 0, 0,
                                          size, link, index))
            if kind is FileKind.FILE and rng.random() < 0.3:
                scan.contents[path] = path.encode() * size
        if rng.random() < 0.2:
            scan.anomalies.append(Anomaly(index, _path(rng), "duplicate-entry", "x"))
        scans.append(scan)
    return scans


def _same(got: tuple[FileTree, tuple[Anomaly, ...]], want: tuple[FileTree, tuple[Anomaly, ...]]) -> None:
    (tree, anomalies), (ref, ref_anomalies) = got, want
    assert list(tree.entries.items()) == list(ref.entries.items())   # insertion order too
    assert list(tree.children.items()) == list(ref.children.items())   # insertion order too
    assert list(tree.contents.items()) == list(ref.contents.items())
    assert dict(tree.touched) == dict(ref.touched)
    assert all(type(v) is tuple for v in tree.touched.values())
    assert tree.shadowed == ref.shadowed
    assert anomalies == ref_anomalies


@pytest.mark.parametrize("seed", range(300))
def test_merge_equals_the_reference_on_random_stacks(seed: int) -> None:
    scans = _random_stack(random.Random(seed))
    _same(merge_layers(scans), _reference_merge(scans))


def test_the_random_stacks_exercise_every_case() -> None:
    """The random stacks above do hit replacements both ways, deletions and anomalies."""
    seen: set[str] = set()
    for seed in range(300):
        tree, anomalies = merge_layers(_random_stack(random.Random(seed)))
        for item in tree.shadowed:
            seen.add("deleted" if item.deleted else f"replaced-{item.entry.kind.value}")
        seen.update(a.kind for a in anomalies)
        if any(len(v) > 1 for v in tree.touched.values()):
            seen.add("retouched")
    assert {"deleted", "replaced-file", "replaced-dir", "whiteout-of-missing-path",
            "hardlink-missing-target", "duplicate-entry", "retouched"} <= seen


def test_merge_equals_the_reference_on_a_large_layer_stack() -> None:
    rng = random.Random(7)
    scans = []
    for index in range(4):
        scan = LayerScan()
        for i in range(3000):
            path = f"/usr/{rng.choice(_NAMES)}/{rng.choice(_NAMES)}/f{rng.randint(0, 4000)}"
            scan.entries.append(FileEntry(path, FileKind.FILE, 0o644, 0, 0, i % 97, "", index))
        scan.whiteouts = [f"/usr/{n}/a" for n in _NAMES[:index]]
        scans.append(scan)
    _same(merge_layers(scans), _reference_merge(scans))


def _fresh_stack(rng: random.Random) -> list[LayerScan]:
    """Layers that mostly add paths no lower layer has, hard links to earlier and later entries."""
    scans = []
    for index in range(rng.randint(2, 6)):
        scan = LayerScan()
        if index and rng.random() < 0.3:
            # An opaque directory nothing below has: its child set exists, unlinked, until used.
            scan.opaque_dirs = [f"/new{index}/{rng.choice(_NAMES)}"]
        if index and rng.random() < 0.3:
            scan.whiteouts = [_path(rng)]
        paths: list[str] = []
        for n in range(rng.randint(1, 30)):
            base = rng.choice((f"/new{index}", f"/new{index}/{rng.choice(_NAMES)}", "/usr/lib", "/"))
            path = f"{base.rstrip('/')}/f{index}_{n}"
            paths.append(path)
            kind = rng.choice((FileKind.FILE, FileKind.DIR, FileKind.HARDLINK, FileKind.SYMLINK))
            link = ""
            if kind is FileKind.HARDLINK:
                link = rng.choice(paths + [f"/usr/lib/f{index}_{n + 1}", "/nowhere", f"/usr/lib/f0_{n}"])
            scan.entries.append(FileEntry(path, kind, 0o644, 0, 0, n, link, index))
        if rng.random() < 0.1:
            scan.entries.append(FileEntry("/", FileKind.DIR, 0o755, 0, 0, 0, "", index))
        if rng.random() < 0.1 and scan.entries:
            scan.entries.append(scan.entries[0])  # a duplicate
        scans.append(scan)
    return scans


@pytest.mark.parametrize("seed", range(200))
def test_merge_equals_the_reference_on_layers_of_new_paths(seed: int) -> None:
    scans = _fresh_stack(random.Random(seed))
    _same(merge_layers(scans), _reference_merge(scans))


def test_deleted_copies_are_recorded_in_path_order_whatever_the_hash_seed() -> None:
    """shadowed order reaches the output (ties in the wasted-space table): no set order in it."""
    import subprocess
    import sys

    script = ("from pylint_image.linter.model.image import FileEntry, FileKind\n"
              "from pylint_image.linter.oci.layer import LayerScan\n"
              "from pylint_image.linter.oci.merge import merge_layers\n"
              "low = LayerScan(entries=[FileEntry(f'/d/{n}/f{i}', FileKind.FILE, 0o644, 0, 0, 5, '', 0)\n"
              "                         for n in 'qwertyuiopasdfghjkl' for i in range(3)])\n"
              "top = LayerScan(whiteouts=['/d'], index=1)\n"
              "print([s.entry.path for s in merge_layers([low, top])[0].shadowed])\n")
    runs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)}).stdout
            for seed in range(6)}
    assert len(runs) == 1
    paths = eval(runs.pop())  # noqa: S307 - our own output
    assert paths == sorted(paths) and len(paths) == 19 * 3
