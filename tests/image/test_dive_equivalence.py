"""dive_analysis against the step-by-step implementation it replaced, on random layer stacks.

The reference below (``_reference`` and its ``_Tree``) is the former ``linter/dive_ci.py`` code,
kept verbatim as the oracle: one tree per layer with a set of children per node, every
layer's nodes added one call at a time.  ``tests/image/test_dive_ci.py`` compares both with
the real dive on built images; this test covers what builds rarely make: whiteouts of paths no
lower layer has (dive's visit stops), deleted and opaque directories, a layer that deletes a
path and writes it again, files replaced by directories and the reverse, duplicate entries,
empty directories, ``.wh..wh.`` names, and names that sort before ``.wh.`` (``-x``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

import pytest

from pylint_image.linter.dive_ci import DiveAnalysis, Inefficiency, dive_analysis
from pylint_image.linter.model.image import FileEntry, FileKind, FileTree, Image, ImageConfig, Layer

_WHITEOUT = ".wh."

class _Tree:
    """dive's FileTree of one layer (or a stack of them): path -> node data, and children.

    A node's data is ``(is_dir, size)`` from its own tar header, or None for a directory
    dive made up because a deeper path needed it (dive's empty FileInfo: not a directory).
    """

    __slots__ = ("data", "children", "whiteouts")

    def __init__(self) -> None:
        self.data: dict[str, tuple[bool, int] | None] = {}
        self.children: dict[str, set[str]] = {"/": set()}
        self.whiteouts: list[str] = []   # the paths a layer's whiteout nodes delete

    def leaves(self) -> list[str]:
        """The leaves in no particular order (enough when no visit can stop half-way)."""
        return [path for path, kids in self.children.items() if not kids and path != "/"]

    def add(self, path: str, data: tuple[bool, int] | None) -> None:
        """dive's AddPath: create the missing parents (no data), then set the node's data."""
        parent, _, name = path.rpartition("/")
        parent = parent or "/"
        if parent not in self.children:
            self._ensure(parent)
        self.children[parent].add(name)
        self.children.setdefault(path, set())
        self.data[path] = data

    def _ensure(self, path: str) -> None:
        missing = []
        while path not in self.children:
            missing.append(path)
            path = path.rpartition("/")[0] or "/"
        for item in reversed(missing):
            parent, _, name = item.rpartition("/")
            self.children[parent or "/"].add(name)
            self.children[item] = set()
            self.data[item] = None

    def remove(self, path: str) -> None:
        """dive's RemovePath: the node and everything under it (nothing when missing)."""
        if path not in self.data:
            return
        parent, _, name = path.rpartition("/")
        self.children[parent or "/"].discard(name)
        stack = [path]
        while stack:
            item = stack.pop()
            self.data.pop(item, None)
            base = item if item != "/" else ""
            stack.extend(f"{base}/{child}" for child in self.children.pop(item, ()))

    def subtree_size(self, path: str) -> int:
        total, stack = 0, [path]
        while stack:
            item = stack.pop()
            data = self.data.get(item)
            total += data[1] if data else 0
            stack.extend(f"{item}/{child}" for child in self.children.get(item, ()))
        return total

    def leaves_under(self, path: str) -> list[str]:
        """The paths of the leaves strictly under ``path``."""
        out, stack = [], [f"{path.rstrip('/')}/{name}" for name in self.children.get(path, ())]
        while stack:
            item = stack.pop()
            kids = self.children.get(item)
            if kids:
                stack.extend(f"{item}/{child}" for child in kids)
            else:
                out.append(item)
        return out

    def walk(self) -> Iterator[tuple[str, bool]]:
        """Every node depth-first, children before their parent, siblings by name (dive's order)."""
        stack: list[tuple[str, bool]] = [(f"/{name}", False) for name in sorted(self.children["/"], reverse=True)]
        while stack:
            path, expanded = stack.pop()
            kids = self.children.get(path, ())
            if expanded or not kids:
                yield path, not kids
                continue
            stack.append((path, True))
            stack.extend((f"{path}/{name}", False) for name in sorted(kids, reverse=True))


def _layer_tree(layer: Any) -> _Tree:
    """The tree dive builds from one layer's tar: entries, whiteout nodes (``.wh.NAME``), parents."""
    tree = _Tree()
    for entry in layer.entries:
        kind = entry.kind.value
        tree.add(entry.path, (kind == "dir", entry.size if kind == "file" else 0))
    for path in layer.whiteouts:
        parent, _, name = path.rpartition("/")
        if name.startswith(_WHITEOUT):   # .wh..wh.* (not the opaque marker): dive adds only its parents
            if parent:
                tree._ensure(parent)
            continue
        tree.add(f"{parent}/{_WHITEOUT}{name}", (False, 0))
        tree.whiteouts.append(path)
    for path in layer.opaque_dirs:      # .wh..wh..opq: only its parents
        if path != "/":
            tree._ensure(path)
    return tree


def _stack(lower: _Tree, upper: _Tree) -> None:
    """dive's Stack: every node of ``upper`` (children first) replaces or deletes in ``lower``."""
    if not any(path in upper.data for path in upper.whiteouts):
        # No layer both deletes and writes a path: the order of the visit changes nothing.
        for path in upper.whiteouts:
            lower.remove(path)
        for path, data in upper.data.items():
            if not path.rpartition("/")[2].startswith(_WHITEOUT):
                lower.add(path, data)
        return
    for path, _leaf in upper.walk():
        parent, _, name = path.rpartition("/")
        if name.startswith(_WHITEOUT):
            lower.remove(f"{parent}/{name[len(_WHITEOUT):]}")
        else:
            lower.add(path, upper.data.get(path))



def _reference(image: Any, directories: bool = False) -> DiveAnalysis:
    """The former dive_analysis, without its cache."""
    seen: dict[str, list[tuple[int, int, bool]]] = {}   # path -> [(layer, bytes, whiteout)]
    smallest: dict[str, int] = {}
    stacked = _Tree()

    def sight(path: str, index: int, size: int, whiteout: bool) -> None:
        seen.setdefault(path, []).append((index, size, whiteout))
        if smallest.get(path, -1) < 0 or size < smallest[path]:
            smallest[path] = size

    last = len(image.layers) - 1
    for index, layer in enumerate(image.layers):
        tree = _layer_tree(layer)
        if directories:
            for opaque in layer.opaque_dirs:   # what the layers below had in it is gone
                for gone in stacked.leaves_under(opaque):
                    if gone not in tree.data:
                        sight(gone, index, 0, True)
                for name in list(stacked.children.get(opaque, ())):
                    stacked.remove(f"{opaque.rstrip('/')}/{name}")
        # dive visits leaves by name and stops at a whiteout of a missing path: only then does
        # the order matter.
        stops = not directories and any(path not in stacked.data for path in tree.whiteouts)
        nodes = tree.data
        for path in ([p for p, leaf in tree.walk() if leaf] if stops else tree.leaves()):
            if _WHITEOUT not in path:   # the common case, kept short: a file, link or empty directory
                data = nodes[path]
                size = data[1] if data else 0
                sightings = seen.get(path)
                if sightings is None:
                    seen[path], smallest[path] = [(index, size, False)], size
                else:
                    sightings.append((index, size, False))
                    if smallest[path] < 0 or size < smallest[path]:
                        smallest[path] = size
                continue
            parent, _, name = path.rpartition("/")
            whiteout = name.startswith(_WHITEOUT)
            if whiteout:
                path = f"{parent}/{name[len(_WHITEOUT):]}"
                if path not in stacked.data:
                    if directories:
                        continue   # nothing to delete, nothing wasted
                    seen.setdefault(path, [])
                    smallest.setdefault(path, -1)   # dive's minDiscoveredSize stays -1: it counts
                    break                           # dive's visit of this layer ends here
                before = stacked.data[path]
                is_dir = before is not None and before[0]
                if directories and stacked.children.get(path):
                    for gone in stacked.leaves_under(path):
                        sight(gone, index, 0, True)
                    continue
                size = stacked.subtree_size(path) if is_dir else 0
            else:
                data = tree.data[path]
                size = data[1] if data else 0
            sight(path, index, size, whiteout)
        if index == 0 and not tree.whiteouts:
            stacked = tree   # dive's stack starts as a copy of the first layer; it is not used again
        elif index < last:
            _stack(stacked, tree)
    discovered = sum(size for sightings in seen.values() for _, size, _ in sightings)
    minimum = sum(smallest.get(path, -1) for path in seen)
    efficiency = minimum / discovered if discovered else 1.0
    found = []
    for path, sightings in seen.items():
        if len(sightings) < 2:
            continue
        layers = tuple(i for i, _, _ in sightings)
        sizes = tuple(s for _, s, _ in sightings)
        found.append(Inefficiency(path, len(sightings), sum(sizes), layers, sizes, sightings[-1][2]))
    found.sort(key=lambda item: (-item.size, item.path))
    wasted = sum(item.size for item in found)
    sizes_per_layer = [layer.files_size for layer in image.layers]
    user = sum(sizes_per_layer[1:])
    if user:
        percent = wasted / user
    else:
        percent = math.nan if wasted == 0 else math.inf
    result = DiveAnalysis(efficiency, wasted, sum(sizes_per_layer), user, percent, tuple(found))
    return result


# --- random layer stacks -----------------------------------------------------------------------

_NAMES = ("a", "b", "c", "-x", "lib", "a-b", "Z")


def _random_path(rng: random.Random, depth: int = 3) -> str:
    return "/" + "/".join(rng.choice(_NAMES) for _ in range(rng.randint(1, depth)))


def _random_layer(rng: random.Random, index: int, below: list[str]) -> Layer:
    entries: list[FileEntry] = []
    for _ in range(rng.randint(0, 12)):
        path = rng.choice(below) if below and rng.random() < 0.35 else _random_path(rng)
        kind = rng.choice((FileKind.FILE, FileKind.FILE, FileKind.FILE, FileKind.DIR, FileKind.DIR,
                           FileKind.SYMLINK, FileKind.HARDLINK))
        size = rng.choice((0, 1, 7, 100, 4096)) if kind is FileKind.FILE else 0
        entries.append(FileEntry(path, kind, 0o755 if kind is FileKind.DIR else 0o644, 0, 0, size,
                                 "/a" if kind in (FileKind.SYMLINK, FileKind.HARDLINK) else "", index))
        if rng.random() < 0.1:   # a duplicate entry: the last one wins
            entries.append(FileEntry(path, FileKind.FILE, 0o644, 0, 0, rng.choice((0, 3, 50)), "", index))
    whiteouts: list[str] = []
    for _ in range(rng.choice((0, 0, 1, 2, 4))):
        roll = rng.random()
        if roll < 0.6 and below:
            path = rng.choice(below)          # deletes something below (a file or a directory)
        elif roll < 0.7 and entries:
            path = rng.choice(entries).path   # deletes a path this layer also writes
        elif roll < 0.8:
            parent = rng.choice(below).rpartition("/")[0] if below else ""
            path = f"{parent}/{_WHITEOUT}{rng.choice(_NAMES)}"   # a .wh..wh.* name
        else:
            path = _random_path(rng)          # maybe nothing below: dive's visit stops there
        whiteouts.append(path)
    opaque = [rng.choice(below) if below and rng.random() < 0.8 else _random_path(rng, 2)
              for _ in range(rng.choice((0, 0, 0, 1, 2)))]
    if rng.random() < 0.03:
        opaque.append("/")
    return Layer(index, f"sha256:{index}", f"sha256:{index}", 0, 0, "tar", entries=tuple(entries),
                 whiteouts=tuple(whiteouts), opaque_dirs=tuple(opaque))


def _random_image(seed: int) -> Image:
    rng = random.Random(seed)
    layers: list[Layer] = []
    below: list[str] = []
    for index in range(rng.randint(1, 6)):
        layer = _random_layer(rng, index, below)
        layers.append(layer)
        for entry in layer.entries:   # the paths and their parents, as candidates to delete or rewrite
            path = entry.path
            while path:
                below.append(path)
                path = path.rpartition("/")[0]
    return Image("x", "", ImageConfig(), (), tuple(layers), FileTree({}, {}))


def _same(left: DiveAnalysis, right: DiveAnalysis) -> bool:
    def fix(value: float) -> Any:
        return "nan" if math.isnan(value) else value
    return (fix(left.efficiency), left.wasted_bytes, left.size_bytes, left.user_size_bytes,
            fix(left.wasted_user_percent), left.inefficiencies) == (
        fix(right.efficiency), right.wasted_bytes, right.size_bytes, right.user_size_bytes,
        fix(right.wasted_user_percent), right.inefficiencies)


@pytest.mark.parametrize("directories", [False, True])
def test_dive_analysis_equals_the_step_by_step_reference(directories: bool) -> None:
    differ = []
    for seed in range(3000):
        image = _random_image(seed)
        ours, reference = dive_analysis(image, directories), _reference(image, directories)
        if not _same(ours, reference):
            differ.append(seed)
    assert not differ, f"seeds {differ[:10]}: {dive_analysis(_random_image(differ[0]), directories)} != " \
                       f"{_reference(_random_image(differ[0]), directories)}"


def test_the_random_stacks_reach_every_case() -> None:
    """The generator makes what the test claims to cover (else it would pass for nothing)."""
    stops = collide = deleted_dirs = opaque = ghosts = 0
    for seed in range(3000):
        image = _random_image(seed)
        for index, layer in enumerate(image.layers):
            below = {e.path for lower in image.layers[:index] for e in lower.entries}
            written = {e.path for e in layer.entries}
            stops += any(p not in below for p in layer.whiteouts)
            collide += any(p in written or any(w.startswith(p + "/") for w in written) for p in layer.whiteouts)
            deleted_dirs += any(e.kind is FileKind.DIR and e.path in layer.whiteouts
                                for lower in image.layers[:index] for e in lower.entries)
            opaque += bool(layer.opaque_dirs)
        analysis = _reference(image)
        ghosts += analysis.efficiency < 0
    assert min(stops, collide, deleted_dirs, opaque) > 100, (stops, collide, deleted_dirs, opaque)


def test_a_big_stack_with_few_whiteouts_equals_the_reference() -> None:
    """The shape of real images: large layers of distinct files, a few deletes and rewrites."""
    rng = random.Random(7)
    layers = []
    for index in range(6):
        entries = [FileEntry(f"/d{index % 3}/s{i % 40}/f{i}", FileKind.FILE, 0o644, 0, 0, rng.randint(0, 9999), "", index)
                   for i in range(rng.randint(500, 3000))]
        whiteouts = tuple(f"/d{(index - 1) % 3}/s{i}" for i in range(index)) + (f"/d0/s1/f{index}",)
        layers.append(Layer(index, "", "", 0, 0, "tar", entries=tuple(entries), whiteouts=whiteouts if index else ()))
    image = Image("x", "", ImageConfig(), (), tuple(layers), FileTree({}, {}))
    for directories in (False, True):
        assert _same(dive_analysis(image, directories), _reference(image, directories))
        assert dive_analysis(image, directories).inefficiencies
