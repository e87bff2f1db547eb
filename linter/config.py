"""Configuration: ``[tool.pylint-image]`` in pyproject.toml or ``.pylint-image.yaml``, into a frozen Config.

Keys (both files): ``select``, ``ignore`` (codes, prefixes, names or foreign ids such as
DL3008), ``severity`` (``{RULE: level}``), ``fail-on`` (error|warning|info|style|never),
``trusted-registries`` (list), ``preview`` (bool) and ``rules`` (``{RULE: {option: value}}``).
Errors are ConfigError one-liners naming the file and, where known, the line.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .findings import Severity
from .ruleapi import Rule
from .selection import Selection, match_strength, token_known
from pylint_image.linter.model.frozen import frozen

KNOWN_KEYS = ("select", "ignore", "severity", "fail-on", "trusted-registries", "preview", "rules")
FAIL_ON = ("error", "warning", "info", "style", "never")


class UnknownRuleError(ConfigError):
    """The config names a rule that is not among the rules it was checked against."""


@frozen
class Config:
    """Everything configurable, after merging file and CLI."""

    selection: Selection = Selection()
    fail_on: str = "warning"
    trusted_registries: tuple[str, ...] = ()
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    path: Path | None = None
    lines: Mapping[str, int] = field(default_factory=dict)  # dotted key -> line in the file

    def options_for(self, rule: Rule) -> Any:
        """Build the rule's options object from defaults and the most specific config entry."""
        cls = rule.meta.options
        if cls is None:
            return None
        chosen: Mapping[str, Any] = {}
        best = 0
        for token, values in self.rule_options.items():
            strength = match_strength(token, rule)
            if strength > best:
                best, chosen = strength, values
        kwargs = {k.replace("-", "_"): v for k, v in chosen.items()}
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise ConfigError(f"invalid options for {rule.meta.code}: {exc}", self.path) from None


def find_config(start: Path) -> Path | None:
    """Return the nearest ``.pylint-image.yaml`` or pyproject.toml with our section, walking up."""
    start = start.resolve()
    for folder in (start, *start.parents):
        for name in (".pylint-image.yaml", ".pylint-image.yml"):
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                text = pyproject.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if "[tool.pylint-image" in text:
                return pyproject
        if (folder / ".git").exists():
            break
    return None


def read_config_file(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """Read the raw table and a map of dotted keys to line numbers."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc}", path) from None
    if path.suffix == ".toml":
        return _read_toml(path, text)
    return _read_yaml(path, text)


def _read_toml(path: Path, text: str) -> tuple[dict[str, Any], dict[str, int]]:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        raise ConfigError(f"invalid TOML: {exc}", path, line) from None
    table = data.get("tool", {}).get("pylint-image", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.pylint-image] must be a table", path)
    # tomllib keeps no positions: find each key's line textually inside our section.
    lines: dict[str, int] = {}
    in_section = False
    for n, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("["):
            in_section = stripped.startswith("[tool.pylint-image")
            if in_section:
                lines.setdefault("<section>", n)
                section = stripped.strip("[]").removeprefix("tool.pylint-image").lstrip(".")
                if section:
                    lines.setdefault(section, n)
            continue
        if in_section and "=" in stripped and not stripped.startswith("#"):
            lines.setdefault(stripped.split("=", 1)[0].strip().strip('"'), n)
    return table, lines


def _read_yaml(path: Path, text: str) -> tuple[dict[str, Any], dict[str, int]]:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"invalid YAML: {problem}", path, line) from None
    if data is None:
        return {}, {}
    if not isinstance(data, CommentedMap):   # what the round-trip loader makes of a mapping
        raise ConfigError("the config must be a mapping", path, 1)
    lines: dict[str, int] = {}
    for key in data:
        lc = data.lc.key(key)
        lines[str(key)] = lc[0] + 1
        value = data[key]
        if isinstance(value, dict) and hasattr(value, "lc"):
            for sub in value:
                lines[f"{key}.{sub}"] = value.lc.key(sub)[0] + 1
    return _plain(data), lines


def _plain(value: Any) -> Any:
    """Convert ruamel's round-trip containers into plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _line_from_message(message: str) -> int | None:
    import re

    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


def _strings(value: Any, key: str, path: Path | None, lines: Mapping[str, int]) -> tuple[str, ...]:
    """Accept a list of strings or a comma-separated string."""
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"'{key}' must be a list of strings", path, lines.get(key))


def build_config(
    table: Mapping[str, Any],
    rules: Sequence[Rule],
    *,
    path: Path | None = None,
    lines: Mapping[str, int] | None = None,
) -> Config:
    """Validate a raw config table against the known rules and build a Config."""
    lines = lines or {}
    for key in table:
        if key not in KNOWN_KEYS:
            raise ConfigError(f"unknown key '{key}' (known: {', '.join(KNOWN_KEYS)})", path, lines.get(key))
    select = _strings(table.get("select", ["ALL"]), "select", path, lines)
    ignore = _strings(table.get("ignore", []), "ignore", path, lines)
    for key, tokens in (("select", select), ("ignore", ignore)):
        for token in tokens:
            if not token_known(token, rules):
                raise UnknownRuleError(f"'{key}' names unknown rule '{token}'", path, lines.get(key))
    severity: dict[str, Severity] = {}
    raw_sev = table.get("severity", {})
    if not isinstance(raw_sev, Mapping):
        raise ConfigError("'severity' must be a table of RULE = level", path, lines.get("severity"))
    for token, level in raw_sev.items():
        where = lines.get(f"severity.{token}", lines.get(token, lines.get("severity")))
        if not token_known(token, rules):
            raise UnknownRuleError(f"'severity' names unknown rule '{token}'", path, where)
        try:
            severity[token] = Severity.parse(str(level))
        except ValueError as exc:
            raise ConfigError(str(exc), path, where) from None
    fail_on = str(table.get("fail-on", "warning")).lower()
    if fail_on not in FAIL_ON:
        raise ConfigError(f"'fail-on' must be one of {', '.join(FAIL_ON)}", path, lines.get("fail-on"))
    trusted = _strings(table.get("trusted-registries", []), "trusted-registries", path, lines)
    preview = table.get("preview", False)
    if not isinstance(preview, bool):
        raise ConfigError("'preview' must be true or false", path, lines.get("preview"))
    options = _validate_rule_options(table.get("rules", {}), rules, path, lines)
    selection = Selection(select=select, ignore=ignore, severity=severity, preview=preview)
    return Config(selection, fail_on, trusted, options, path, dict(lines))


def _validate_rule_options(
    raw: Any, rules: Sequence[Rule], path: Path | None, lines: Mapping[str, int]
) -> dict[str, dict[str, Any]]:
    """Check every ``rules.RULE.option`` against the rule's options dataclass."""
    if not isinstance(raw, Mapping):
        raise ConfigError("'rules' must be a table of RULE = {option = value}", path, lines.get("rules"))
    result: dict[str, dict[str, Any]] = {}
    for token, values in raw.items():
        where = lines.get(f"rules.{token}", lines.get(token, lines.get("rules")))
        matches = [r for r in rules if match_strength(token, r) >= 1000]
        if not matches:
            raise UnknownRuleError(f"'rules' names unknown rule '{token}'", path, where)
        if not isinstance(values, Mapping):
            raise ConfigError(f"options of '{token}' must be a table", path, where)
        for rule in matches:
            fields = {f.name: f for f in dataclasses.fields(rule.meta.options)} if rule.meta.options else {}
            for key, value in values.items():
                fld = fields.get(str(key).replace("-", "_"))
                if fld is None:
                    known = ", ".join(n.replace("_", "-") for n in fields) or "none"
                    raise ConfigError(f"rule {rule.meta.code} has no option '{key}' (options: {known})", path,
                                      lines.get(str(key), where))
                default = fld.default if fld.default is not dataclasses.MISSING else None
                if default is not None and not _same_kind(default, value):
                    raise ConfigError(f"option '{key}' of {rule.meta.code} must be {type(default).__name__}",
                                      path, lines.get(str(key), where))
        result[token] = {str(k): (tuple(v) if isinstance(v, list) else v) for k, v in values.items()}
    return result


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, (tuple, list, frozenset)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


def load_config(explicit: Path | None, start: Path, rules: Sequence[Rule]) -> Config:
    """Find (or take) the config file and build the Config; no file gives the defaults."""
    path = explicit if explicit is not None else find_config(start)
    if path is None:
        return Config()
    if explicit is not None and not path.is_file():
        raise ConfigError("config file not found", path)
    table, lines = read_config_file(path)
    return build_config(table, rules, path=path, lines=lines)


def build_args_of(values: Sequence[str]) -> dict[str, str]:
    """``--build-arg K=V`` values as ARG overrides (``K`` alone takes its value from the environment, as docker does)."""
    result: dict[str, str] = {}
    for item in values:
        key, sep, val = item.partition("=")
        if not key:
            raise ConfigError(f"--build-arg needs K=V, got {item!r}")
        if sep:
            result[key] = val
        elif key in os.environ:
            result[key] = os.environ[key]
    return result
