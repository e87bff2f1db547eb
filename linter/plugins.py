"""Find, load and validate rule and formatter plugins (entry points) into an immutable registry.

Three steps after flake8's finder: ``find`` reads metadata only, ``load`` imports, and
``validate`` checks codes, names, prefix ownership, duplicates and docs.  Built-in rules
come through the same ``pylint_image.rules`` group as third-party ones.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from .errors import PluginLoadError
from .findings import Notification
from .ruleapi import CODE_RE, NAME_RE, Rule, RuleMeta, Target
from pylint_image.linter.model.frozen import frozen

RULES_GROUP = "pylint_image.rules"
FORMATTERS_GROUP = "pylint_image.formatters"
BUILTIN_DIST = "pylint-image"
RESERVED_PREFIXES = ("DF", "IM", "RT", "MF")


@frozen
class Plugin:
    """An entry point and the distribution that ships it."""

    dist: str
    version: str
    name: str
    value: str  # "package.module:attribute"
    origin: str | None = None  # the .dist-info or .egg-info it was read from

    @property
    def label(self) -> str:
        return f"{self.dist}[{self.name}]"

    def load(self) -> Any:
        """Import the module and return the attribute the entry point names."""
        module_name, _, attr = self.value.partition(":")
        obj: Any = importlib.import_module(module_name.strip())
        for part in filter(None, attr.strip().split(".")):
            obj = getattr(obj, part)
        return obj


@frozen
class Registry:
    """Every loaded rule, and the plugin distributions they came from."""

    rules: tuple[Rule, ...]
    origins: dict[str, str]  # rule code -> distribution
    plugins: tuple[Plugin, ...]
    warnings: tuple[Notification, ...] = ()

    def lookup(self, token: str) -> tuple[Rule, ...]:
        """Rules named by ``token``: their code, name or one of their aliases (exact)."""
        t = token.strip()
        up = t.upper()
        return tuple(r for r in self.rules
                     if r.meta.code == up or r.meta.name == t or up in (a.upper() for a in r.meta.aliases))

    def by_target(self, target: Target) -> tuple[Rule, ...]:
        """Rules that judge ``target``."""
        return tuple(r for r in self.rules if r.meta.target is target)


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# One scan per process (and sys.path): a run asks for rules, formatters and our version.
_SCAN: tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | None = None
_ENTRY_POINTS: dict[str, dict[str, list[tuple[str, str]]]] = {}  # folder -> group -> (name, value)


def _dist_folders() -> tuple[tuple[str, str], ...]:
    """(normalized name, metadata path) of every installed distribution on sys.path.

    The name comes from the folder name, as importlib.metadata finds distributions; the
    first one on sys.path wins, as for imports.  Nothing is read here: importlib.metadata
    costs 20+ ms of imports (email, zipfile, csv) on every start, most of our cold start.
    """
    global _SCAN
    key = tuple(sys.path)
    if _SCAN is None or _SCAN[0] != key:
        _ENTRY_POINTS.clear()
        _SCAN = (key, tuple(_scan(key)))
    return _SCAN[1]


def _scan(entries: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for entry in entries:
        try:
            with os.scandir(entry or ".") as it:
                names = [e.name for e in it if e.name.lower().endswith((".dist-info", ".egg-info"))]
        except OSError:
            continue
        for folder in sorted(names):
            # ``name-1.0.dist-info``, ``name.egg-info``, ``name-1.0-py3.11.egg-info`` (a file)
            key = _normalize(folder.rpartition(".")[0].partition("-")[0])
            if key in seen:
                continue
            seen.add(key)
            yield key, os.path.join(entry or ".", folder)


def read_metadata(path: str) -> dict[str, str]:
    """The header fields (``Name``, ``Version``...) of a distribution's METADATA or PKG-INFO.

    ``path`` is a ``.dist-info`` folder, an ``.egg-info`` folder or an ``.egg-info`` file
    (old distutils installs write the PKG-INFO text there).  Only the headers are read: they
    end at the first blank line, and the long description after it can be large.  A field
    given twice keeps its first value.  Empty when there is no readable metadata.
    """
    fields: dict[str, str] = {}
    for key, value in _metadata_headers(path):
        fields.setdefault(key, value)
    return fields


def metadata_values(name: str, field: str) -> list[str]:
    """Every value of the header ``field`` (a repeated one, such as ``Project-URL``) in distribution ``name``'s metadata.

    Empty when the distribution is not installed.  What ``importlib.metadata.metadata(name)
    .get_all(field)`` gives, without its imports (~30 ms).
    """
    wanted = _normalize(name)
    path = next((p for key, p in _dist_folders() if key == wanted), None)
    if path is None:
        return []
    title = field.strip().title()
    return [value for key, value in _metadata_headers(path) if key == title]


def _metadata_headers(path: str) -> list[tuple[str, str]]:
    """(Title-cased key, value) of every header line of ``path``'s METADATA or PKG-INFO, in order."""
    candidates = ([os.path.join(path, "METADATA"), os.path.join(path, "PKG-INFO")]
                  if os.path.isdir(path) else [path])
    for candidate in candidates:
        try:
            with open(candidate, encoding="utf-8", errors="replace") as fh:
                headers = []
                for line in fh:
                    if not line.strip():
                        break
                    if line[0] in " \t":  # a folded continuation of the previous field
                        continue
                    key, sep, value = line.partition(":")
                    if sep:
                        headers.append((key.strip().title(), value.strip()))
                return headers
        except OSError:
            continue
    return []


def _read_entry_points(folder: str, group: str) -> list[tuple[str, str]]:
    groups = _ENTRY_POINTS.get(folder)
    if groups is None:
        groups = _ENTRY_POINTS[folder] = _parse_entry_points(folder)
    return groups.get(group, [])


def _parse_entry_points(folder: str) -> dict[str, list[tuple[str, str]]]:
    """Every group of a distribution's entry_points.txt: group -> [(name, "module:attr")]."""
    try:
        with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as fh:
            text = fh.read()
    except OSError:
        return {}
    groups: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = groups.setdefault(line[1:-1].strip(), [])
        elif current is not None and "=" in line:
            key, value = line.split("=", 1)
            current.append((key.strip(), value.split("[")[0].strip()))
    return groups


def dist_version(name: str) -> str | None:
    """The installed version of distribution ``name`` (its metadata's ``Version:``), or None."""
    wanted = _normalize(name)
    path = next((p for key, p in _dist_folders() if key == wanted), None)
    if path is None:
        return None
    return read_metadata(path).get("Version") or None


def find(group: str) -> list[Plugin]:
    """List the entry points of ``group`` with their distributions, sorted, without importing."""
    found: list[Plugin] = []
    for key, path in _dist_folders():
        entry_points = _read_entry_points(path, group)
        if not entry_points:
            continue
        meta = read_metadata(path)  # only for the few distributions with our entry points
        dist = meta.get("Name") or key
        found.extend(Plugin(dist, meta.get("Version", ""), ep_name, value, path) for ep_name, value in entry_points)
    return sorted(found, key=lambda p: (_normalize(p.dist) != BUILTIN_DIST, p.dist.lower(), p.name))


def load(plugin: Plugin) -> tuple[Rule, ...]:
    """Import one rules entry point; it may be a rule or an iterable of rules."""
    try:
        obj = plugin.load()
    except Exception as exc:  # any import-time failure of foreign code is a load error
        raise PluginLoadError(f"plugin {plugin.label} failed to load: {type(exc).__name__}: {exc}") from exc
    items: Iterable[Any] = (obj,) if hasattr(obj, "meta") else obj
    try:
        rules = tuple(items)
    except TypeError:
        raise PluginLoadError(f"plugin {plugin.label} is neither a rule nor an iterable of rules") from None
    for r in rules:
        if not isinstance(getattr(r, "meta", None), RuleMeta) or not callable(getattr(r, "check", None)):
            raise PluginLoadError(f"plugin {plugin.label} exports {r!r}, which is not a rule")
    return rules


def _missing_headings(doc: str) -> tuple[str, ...]:
    # Imported on first use: ~1.5 ms (regexes, the RuleDoc class) that a run with only
    # built-in rules never needs.
    from .ruledoc import missing_headings

    return missing_headings(doc)


def validate(loaded: list[tuple[Plugin, tuple[Rule, ...]]]) -> Registry:
    """Check codes, names, prefixes and docs across all plugins and build the registry."""

    origins: dict[str, str] = {}
    names: dict[tuple[str, Target], str] = {}
    prefix_owner: dict[str, str] = {}
    warnings: list[Notification] = []
    rules: list[Rule] = []
    for plugin, plugin_rules in loaded:
        builtin = _normalize(plugin.dist) == BUILTIN_DIST
        for r in plugin_rules:
            m = r.meta
            if not CODE_RE.match(m.code):
                raise PluginLoadError(f"plugin {plugin.label}: bad rule code {m.code!r} (2-4 capitals + 3-4 digits)")
            if not NAME_RE.match(m.name):
                raise PluginLoadError(f"plugin {plugin.label}: rule {m.code} name {m.name!r} is not kebab-case")
            if not isinstance(m.target, Target):
                raise PluginLoadError(f"plugin {plugin.label}: rule {m.code} has unknown target {m.target!r}")
            prefix = re.match(r"[A-Z]+", m.code).group(0)  # type: ignore[union-attr]
            if not builtin and prefix in RESERVED_PREFIXES:
                raise PluginLoadError(f"plugin {plugin.label}: prefix {prefix} is reserved for pylint-image")
            owner = prefix_owner.setdefault(prefix, plugin.dist)
            if owner != plugin.dist:
                raise PluginLoadError(f"plugin {plugin.label}: prefix {prefix} already belongs to {owner}")
            if m.code in origins:
                raise PluginLoadError(f"rule code {m.code} is defined by both {origins[m.code]} and {plugin.dist}")
            # One name may judge several targets (runs-as-root for a Dockerfile and for an
            # image): selecting or ignoring the name then covers every target at once.
            if (m.name, m.target) in names:
                raise PluginLoadError(f"rule name {m.name} is used by both {names[(m.name, m.target)]} and {m.code}")
            # Built-in docs are enforced by the test suite; checking them again at every start
            # would parse ~80 Markdown docs for nothing.
            missing = () if builtin else _missing_headings(r.doc or "")
            if missing:
                warnings.append(Notification("plugin-warning", "warning",
                                             f"rule {m.code} from {plugin.dist} has no doc section(s): "
                                             f"{', '.join(missing)}", rule=m.code))
            origins[m.code] = plugin.dist
            names[(m.name, m.target)] = m.code
            rules.append(r)
    rules.sort(key=lambda r: r.meta.code)
    return Registry(tuple(rules), origins, tuple(p for p, _ in loaded), tuple(warnings))


# Our own entry points are split by target; a run that judges only Dockerfiles skips the
# others (importing ~30 image and runtime rule modules is a quarter of the cold start).
BUILTIN_TARGET_ENTRY_POINTS = {"builtin-image": Target.IMAGE, "builtin-runtime": Target.RUNTIME,
                               "builtin-manifest": Target.MANIFEST}


def load_registry(*, disabled: Iterable[str] = (), required: Iterable[str] = (),
                  targets: Iterable[Target] | None = None) -> Registry:
    """Find, load and validate every rule plugin; ``disabled`` names distributions to skip.

    ``targets`` limits which of pylint-image's own entry points load (third-party plugins
    always load: their targets are unknown until imported).
    """
    blocked = {_normalize(d) for d in disabled}
    wanted = set(targets) if targets is not None else set(Target)
    plugins = [p for p in find(RULES_GROUP) if _normalize(p.dist) not in blocked
               and not (_normalize(p.dist) == BUILTIN_DIST
                        and BUILTIN_TARGET_ENTRY_POINTS.get(p.name, Target.DOCKERFILE) not in wanted)]
    present = {_normalize(p.dist) for p in plugins}
    for name in required:
        if _normalize(name) not in present:
            raise PluginLoadError(f"required plugin distribution '{name}' is not installed")
    return validate([(p, load(p)) for p in plugins])


def load_formatter(name: str) -> type:
    """Import the formatter class registered under ``name``."""
    for plugin in find(FORMATTERS_GROUP):
        if plugin.name == name:
            try:
                return plugin.load()
            except Exception as exc:  # a broken third-party formatter is a load error
                raise PluginLoadError(f"formatter {plugin.label} failed to load: {exc}") from exc
    known = ", ".join(sorted({p.name for p in find(FORMATTERS_GROUP)}))
    raise PluginLoadError(f"unknown format '{name}' (available: {known})")
