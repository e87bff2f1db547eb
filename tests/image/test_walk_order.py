"""FileTree.walk and in_walk_order, the layer sizes and the path fast path against the plain code they replaced.

``walk`` sorts the entries once per tree (the image rules each walk the whole tree) instead of
visiting ``children`` directory by directory; ``Layer.files_size``/``content_size`` are computed
once per layer; paths that are normal already skip ``posixpath.normpath``.  The references
below are the former implementations, run on trees that ``merge_layers`` builds from random
layer stacks, with names that sort around the separator (``a-b`` against ``a/b``), capitals,
non-ASCII and NUL characters.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from pylint_image.linter.model.image import FileEntry, FileKind, FileTree, Layer, normalize
from pylint_image.linter.oci.layer import LayerScan
from pylint_image.linter.oci.merge import merge_layers

_NAMES = ("a", "b", "a-b", "a.b", "ab", "A", "-", "é", "z", "a b", "\x01", "a\x01")


def _reference_walk(tree: FileTree, prefix: str = "/") -> Iterator[FileEntry]:
    """The former FileTree.walk: a depth-first visit of ``children``, siblings sorted."""
    root = normalize(prefix)
    stack = [root]
    while stack:
        current = stack.pop()
        entry = tree.entries.get(current)
        if entry is not None:
            yield entry
        names = tree.children.get(current, ())
        base = "" if current == "/" else current
        stack.extend(f"{base}/{name}" for name in sorted(names, reverse=True))


def _reference_sizes(layer: Layer) -> tuple[int, int]:
    files = sum(e.size for e in layer.entries if e.kind is FileKind.FILE)
    last = {e.path: e for e in layer.entries}
    content = sum(e.size if e.kind is FileKind.FILE
                  else len(e.linkname.encode("utf-8", "surrogateescape")) if e.kind is FileKind.SYMLINK
                  else 0 for e in last.values())
    return files, content


def _random_scans(rng: random.Random, names: tuple[str, ...]) -> list[LayerScan]:
    scans = []
    seen: list[str] = []
    for index in range(rng.randint(1, 4)):
        scan = LayerScan()
        for _ in range(rng.randint(0, 25)):
            path = "/" + "/".join(rng.choice(names) for _ in range(rng.randint(1, 4)))
            kind = rng.choice((FileKind.FILE, FileKind.FILE, FileKind.DIR, FileKind.SYMLINK))
            link = rng.choice(("/a", "é/b", "\udcff")) if kind is FileKind.SYMLINK else ""
            scan.entries.append(FileEntry(path, kind, 0o644, 0, 0, rng.randint(0, 99) if kind is FileKind.FILE else 0,
                                          link, index))
            seen.append(path)
        if seen and rng.random() < 0.5:
            scan.whiteouts.append(rng.choice(seen))
        if seen and rng.random() < 0.3:
            scan.opaque_dirs.append(rng.choice(seen).rpartition("/")[0] or "/")
        scans.append(scan)
    return scans


def _prefixes(tree: FileTree, rng: random.Random) -> list[str]:
    paths = list(tree.entries) + list(tree.children)
    return ["/", "", "/nothing", "/a/", "//a", "/a/./b", "/a/../b"] + rng.sample(paths, min(8, len(paths)))


@pytest.mark.parametrize("names", [_NAMES, _NAMES + ("a\0b", "\0")], ids=["names", "with-nul"])
def test_walk_equals_the_visit_of_children(names: tuple[str, ...]) -> None:
    rng = random.Random(12)
    compared = 0
    for _ in range(400):
        tree, _anomalies = merge_layers(_random_scans(rng, names))
        assert list(tree.walk()) == list(_reference_walk(tree))
        for prefix in _prefixes(tree, rng):
            assert list(tree.walk(prefix)) == list(_reference_walk(tree, prefix)), prefix
            compared += 1
        again = list(tree.walk("/"))   # the second walk reads the cached order
        assert again == list(_reference_walk(tree))
    assert compared > 4000


@pytest.mark.parametrize("names", [_NAMES, _NAMES + ("a\0b", "\0")], ids=["names", "with-nul"])
def test_in_walk_order_sorts_a_subset_as_walk_yields_it(names: tuple[str, ...]) -> None:
    rng = random.Random(5)
    for _ in range(300):
        tree, _anomalies = merge_layers(_random_scans(rng, names))
        walked = list(_reference_walk(tree))
        chosen = [e for e in tree.entries.values() if rng.random() < 0.3]
        assert tree.in_walk_order(chosen) == [e for e in walked if e in chosen]
        assert tree.in_walk_order(tree.entries.values()) == walked


def test_walk_sorts_by_component_not_by_string() -> None:
    scan = LayerScan()
    for path in ("/a-c", "/a/b", "/a", "/a.b/x", "/ab"):
        scan.entries.append(FileEntry(path, FileKind.FILE, 0o644, 0, 0, 1, "", 0))
    tree, _ = merge_layers([scan])
    assert [e.path for e in tree.walk()] == ["/a", "/a/b", "/a-c", "/a.b/x", "/ab"]
    assert [e.path for e in tree.walk("/a")] == ["/a", "/a/b"]


def test_layer_sizes_equal_the_plain_sums() -> None:
    rng = random.Random(3)
    for _ in range(300):
        for index, scan in enumerate(_random_scans(rng, _NAMES)):
            if rng.random() < 0.5 and scan.entries:   # a path twice: the last copy counts for Docker
                scan.entries.append(FileEntry(scan.entries[0].path, FileKind.SYMLINK, 0, 0, 0, 0, "xyz", index))
            layer = Layer(index, "", "", 0, 0, "tar", entries=tuple(scan.entries))
            assert (layer.files_size, layer.content_size) == _reference_sizes(layer)
            assert (layer.files_size, layer.content_size) == _reference_sizes(layer)   # cached


@pytest.mark.parametrize("seed", range(3))
def test_normal_paths_skip_normalize_with_the_same_result(seed: int) -> None:
    from pylint_image.linter.model.image import _normal

    rng = random.Random(seed)
    parts = ("", ".", "..", "a", ".a", "a.", "..a", "/", "//", "b/", "é")
    for _ in range(5000):
        path = "".join(rng.choice(parts) + rng.choice(("/", "", "//")) for _ in range(rng.randint(0, 5)))
        assert _normal(path) == normalize(path), path
