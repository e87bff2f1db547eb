"""Configuration: ``[tool.pylint-image]`` in pyproject.toml or ``.pylint-image.yaml``, into a frozen Config.

Keys (both files): ``select``, ``ignore`` (codes, prefixes, names or foreign ids such as
DL3008), ``severity`` (``{RULE: level}``), ``fail-on`` (error|warning|info|style|never),
``trusted-registries`` (list), ``preview`` (bool), ``disable-ignore-pragma`` (bool: inline
ignore pragmas are not honoured), ``output-format`` (the report format when ``--format`` is not
given), ``no-color`` and ``verbose`` (bool: say on stderr which config each file uses),
``shellcheck`` (bool: run DF2023, as ``--shellcheck`` does), ``docs-url`` (the base URL of the rule
docs that reports link to), ``images`` (``{IMAGE: DOCKERFILE}``: the repository Dockerfile that
builds an image named in manifests, relative to the config file) and ``rules`` (``{RULE: {option: value}}``).
Errors are ConfigError one-liners naming the file and, where known, the line.

Each linted file uses the nearest config at or above its folder, up to the repository root
(the folder holding ``.git``), as ruff does; ``--config`` gives one for every file.  Where none
applies, hadolint's configuration (``.hadolint.yaml`` and ``HADOLINT_*``, see
hadolint_config.py) is read with hadolint's meaning; with neither, the defaults.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .yaml_file import read_yaml
from .findings import Severity
from .ruleapi import Rule
from .selection import Selection, match_strength, token_known
from pylint_image.linter.model.frozen import frozen

KNOWN_KEYS = ("select", "ignore", "severity", "fail-on", "trusted-registries", "preview", "disable-ignore-pragma",
              "output-format", "no-color", "verbose", "shellcheck", "docs-url", "images", "rules")
_BOOL_KEYS = ("preview", "disable-ignore-pragma", "no-color", "verbose", "shellcheck")
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
    disable_ignore_pragma: bool = False  # inline ignore pragmas (ours and hadolint's) are not honoured
    output_format: str | None = None  # the report format when --format is not given
    no_color: bool = False
    verbose: bool = False
    from_hadolint: bool = False  # read from hadolint's file or HADOLINT_* variables
    warnings: tuple[str, ...] = ()  # what the CLI says on stderr (hadolint keys we do not know...)
    docs_url: str | None = None  # the base URL of the rule docs reports link to (docs.rule_url)
    images: Mapping[str, str] = field(default_factory=dict)  # image name -> Dockerfile path (manifests)
    variables: Mapping[str, str] = field(default_factory=dict)  # --var K=V: manifests' ${K}

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
    return read_yaml(path, text)


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
    flags = {}
    for key in _BOOL_KEYS:
        flags[key] = table.get(key, False)
        if not isinstance(flags[key], bool):
            raise ConfigError(f"'{key}' must be true or false", path, lines.get(key))
    output_format = table.get("output-format")
    if output_format is not None and not isinstance(output_format, str):
        raise ConfigError("'output-format' must be a string (text, json, sarif, github)", path,
                          lines.get("output-format"))
    docs_url = table.get("docs-url")
    if docs_url is not None:
        from .docs import check_docs_url

        problem = "'docs-url' must be a string" if not isinstance(docs_url, str) else check_docs_url(docs_url)
        if problem:
            raise ConfigError(problem, path, lines.get("docs-url"))
    options = _validate_rule_options(table.get("rules", {}), rules, path, lines)
    images = _images_table(table.get("images", {}), path, lines)
    selection = Selection(select=select, ignore=ignore, severity=severity, preview=flags["preview"],
                          shellcheck=flags["shellcheck"])
    return Config(selection, fail_on, trusted, options, path, dict(lines),
                  disable_ignore_pragma=flags["disable-ignore-pragma"], output_format=output_format,
                  no_color=flags["no-color"], verbose=flags["verbose"], docs_url=docs_url, images=images)


def _images_table(raw: Any, path: Path | None, lines: Mapping[str, int]) -> dict[str, str]:
    """``images = {IMAGE = DOCKERFILE}``: Dockerfile paths made absolute against the config's folder."""
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) and isinstance(v, str) and k and v
                                               for k, v in raw.items()):
        raise ConfigError("'images' must be a table of IMAGE = \"path/to/Dockerfile\"", path, lines.get("images"))
    base = path.parent if path is not None else Path.cwd()
    return {k.strip(): os.path.normpath(base / v) for k, v in raw.items()}


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


def load_config(explicit: Path | None, start: Path, rules: Sequence[Rule],
                environ: Mapping[str, str] | None = None) -> Config:
    """Find (or take) the config file and build the Config.

    With no file of ours at or above ``start``, hadolint's configuration as hadolint finds it
    from ``start`` (its file and ``HADOLINT_*`` in ``environ``); with neither, the defaults.
    ``--config`` may name a hadolint file (``.hadolint.yaml``, ``hadolint.yml``...).
    """
    if explicit is not None and is_hadolint_file(explicit):
        return load_hadolint_config(start, rules, environ, explicit=explicit) or Config()
    path = explicit if explicit is not None else find_config(start)
    if path is None:
        return load_hadolint_config(start, rules, environ) or Config()
    if explicit is not None and not path.is_file():
        raise ConfigError("config file not found", path)
    table, lines = read_config_file(path)
    return build_config(table, rules, path=path, lines=lines)


def is_hadolint_file(path: Path) -> bool:
    """True for the names hadolint gives its config (``.hadolint.yaml``, ``hadolint.yml``, ``~/.hadolint/config.yaml``)."""
    name = path.name.lower()
    return (name.removeprefix(".") in ("hadolint.yaml", "hadolint.yml")
            or (path.parent.name == ".hadolint" and name in ("config.yaml", "config.yml")))


def load_hadolint_config(cwd: Path, rules: Sequence[Rule], environ: Mapping[str, str] | None = None,
                         explicit: Path | None = None) -> Config | None:
    """hadolint's file and ``HADOLINT_*`` variables as a Config; None when there are neither.

    Ids no rule of ours carries are left out (with a warning, unless the rules mapping says
    why hadolint's check is not carried over): hadolint accepts any id there.
    """
    from . import hadolint_config as hc

    settings = hc.load_settings(cwd, environ, explicit)
    if settings is None:
        return None
    from .mapping import NOT_CARRIED_OVER
    table = hc.to_table(settings)
    warnings = settings.warnings + hc.conversion_warnings(settings)
    unknown = hc.unknown_tokens(table, lambda token: token_known(token, rules))
    where = f"{settings.path}: " if settings.path else ""
    for key, token in unknown:
        if token.upper() not in NOT_CARRIED_OVER:
            theirs = "ignored" if key == "ignore" else "override"
            warnings.append(f"{where}'{theirs}' names {token}, which no rule of ours reports: left out")
    table = hc.drop_tokens(table, unknown)
    config = build_config(table, rules, path=settings.path, lines=hc.table_lines(settings))
    return dataclasses.replace(config, from_hadolint=True, warnings=tuple(dict.fromkeys(warnings)))


class ConfigResolver:
    """Which Config each linted file uses: the nearest of ours at or above its folder (up to the
    repository root), else hadolint's as hadolint finds it from ``cwd``, else the defaults.

    ``explicit`` (``--config``) is used for every file.  Each config file is read once;
    ``adjust`` (the command line's overrides) is applied once per config.  When a config names
    a rule outside ``rules`` (an image rule while linting Dockerfiles), it is checked again
    against ``more_rules()`` before the name is called unknown.
    """

    def __init__(self, explicit: Path | None, cwd: Path, rules: Sequence[Rule], *,
                 more_rules: Callable[[], Sequence[Rule]] | None = None,
                 adjust: Callable[[Config], Config] | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self.explicit, self.cwd, self.rules = explicit, cwd, rules
        self.more_rules, self.adjust, self.environ = more_rules, adjust, environ
        self._by_folder: dict[Path, Path | None] = {}
        self._configs: dict[Path | None, Config] = {}

    def for_path(self, path: Path) -> Config:
        """The Config of the file ``path`` (relative to the current directory or absolute)."""
        if self.explicit is not None:
            return self._get(self.explicit)
        folder = Path(os.path.abspath(path)).parent
        if folder not in self._by_folder:
            self._by_folder[folder] = find_config(folder)
        return self._get(self._by_folder[folder])

    def used(self) -> list[Config]:
        """Every Config handed out so far, in the order first asked for."""
        return list(self._configs.values())

    def _get(self, path: Path | None) -> Config:
        if path not in self._configs:
            explicit = self.explicit if path is not None and path == self.explicit else None
            try:
                config = self._load(path, explicit, self.rules)
            except UnknownRuleError:
                if self.more_rules is None:
                    raise
                config = self._load(path, explicit, self.more_rules())
            self._configs[path] = self.adjust(config) if self.adjust else config
        return self._configs[path]

    def _load(self, path: Path | None, explicit: Path | None, rules: Sequence[Rule]) -> Config:
        if path is None:  # nothing of ours applies: hadolint's, else the defaults
            return load_hadolint_config(self.cwd, rules, self.environ) or Config()
        if explicit is not None:
            return load_config(explicit, self.cwd, rules, self.environ)
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
