"""hadolint's configuration, read with hadolint's meaning and turned into our config table.

Used only where no configuration of our own applies (see ``config.configs_for``).  The
file is found as hadolint 2.x finds it (``Hadolint/Config/Configfile.hs``, ``findConfig``),
the first that exists wins and the others are not read:

1. ``$PWD/.hadolint.yaml``, ``$PWD/.hadolint.yml`` (the current directory only, not above);
2. ``$XDG_CONFIG_HOME/hadolint.yaml`` / ``.yml`` (``~/.config`` when the variable is unset);
3. ``~/.hadolint/hadolint.yaml`` / ``.yml`` / ``config.yaml`` / ``config.yml``;
4. ``~/.hadolint.yaml`` / ``.yml``.

``HADOLINT_*`` variables (``Hadolint/Config/Environment.hs``) are merged under the file as
hadolint merges them (``Configuration.hs``: environment, then file): a setting given in both
takes the file's value, lists (``ignored``, ``override``, registries) are joined, and the
label schema keeps the environment's type of a label named in both.  ``NO_COLOR`` is
honoured by our formatters already.

What each key becomes (the table ``to_table`` returns; ``config --from-hadolint`` prints it):

- ``ignored`` -> ``ignore`` (DL and SC ids are passed through as tokens);
- ``override: {error|warning|info|style: [ids]}`` -> ``severity`` (an id in several lists
  takes the most severe, as hadolint applies ``error`` last);
- ``failure-threshold`` -> ``fail-on`` (``ignore`` and ``none`` fail on every finding, as in
  hadolint); when absent, hadolint's default ``info``; ``no-fail: true`` -> ``fail-on = "never"``;
- ``trustedRegistries`` (a string or a list) -> the ``allowed`` option of disallowed-registry
  (DL3026), which is then selected (hadolint runs DL3026 only when the list is set);
- ``label-schema`` -> label-schema-violation's ``schema`` and ``required`` (hadolint reports
  every schema label that is missing); ``strict-labels`` -> its ``strict`` option;
- ``disable-ignore-pragma`` -> ``disable-ignore-pragma``;
- always ``shellcheck = true``: hadolint runs ShellCheck on every RUN;
- ``format`` / ``formats`` -> ``output-format`` (``tty`` is text, ``gitlab_codeclimate`` gitlab; json,
  sarif, checkstyle, codeclimate and sonarqube are ours too; the last one given wins as we write one report); ``no-color`` and ``verbose`` keep their
  names.

Unknown keys and ``HADOLINT_*`` variables, values we cannot use (an output format we lack)
and ids no rule carries give warnings naming them; hadolint ignores them silently, and a typo
in a config should not.  A file that is not valid YAML or has a value of the wrong type is a
ConfigError naming the file and line (hadolint prints an error and lints with no config at
all, which would hide the failure in CI).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import ConfigError

HIDDEN = (".hadolint.yaml", ".hadolint.yml")
VISIBLE = ("hadolint.yaml", "hadolint.yml")
MORE = ("config.yaml", "config.yml")
KNOWN_KEYS = ("disable-ignore-pragma", "failure-threshold", "format", "formats", "ignored", "label-schema",
              "no-color", "no-fail", "override", "strict-labels", "trustedRegistries", "verbose")
LEVELS = ("error", "warning", "info", "style")
# hadolint fails when a finding is at least as severe as the threshold; its "ignore"/"none" sit
# below style, so every finding fails the run (checked with hadolint 2.15.1).
THRESHOLDS = {"error": "error", "warning": "warning", "info": "info", "style": "style",
              "ignore": "style", "none": "style"}
DEFAULT_THRESHOLD = "info"  # hadolint's ``def :: DLSeverity``
OUTPUT_FORMATS = {"tty": "text", "json": "json", "sarif": "sarif", "checkstyle": "checkstyle",
                  "codeclimate": "codeclimate", "gitlab_codeclimate": "gitlab", "sonarqube": "sonarqube",
                  "junit": "junit"}
HADOLINT_FORMATS = ("tty", "json", "checkstyle", "codeclimate", "gitlab_codeclimate", "gnu", "codacy",
                    "sonarqube", "sarif", "junit")
LABEL_TYPES = ("email", "hash", "text", "rfc3339", "semver", "spdx", "url")
ENV_VARS = ("HADOLINT_NOFAIL", "HADOLINT_VERBOSE", "HADOLINT_FORMAT", "HADOLINT_OVERRIDE_ERROR",
            "HADOLINT_OVERRIDE_WARNING", "HADOLINT_OVERRIDE_INFO", "HADOLINT_OVERRIDE_STYLE", "HADOLINT_IGNORE",
            "HADOLINT_TRUSTED_REGISTRIES", "HADOLINT_REQUIRE_LABELS", "HADOLINT_STRICT_LABELS",
            "HADOLINT_DISABLE_IGNORE_PRAGMA", "HADOLINT_FAILURE_THRESHOLD")
_TRUTHY = ("1", "y", "on", "true", "yes")  # hadolint's ``truthy``; anything else is false
REGISTRY_RULE = "disallowed-registry"  # DL3026
LABEL_RULE = "label-schema-violation"  # DL3049-DL3058


class HadolintSettings:
    """hadolint's ``PartialConfiguration``: None or empty means "not set here".

    A plain class, not a dataclass: defining a dataclass costs ~1.5 ms at import, and this
    module is imported by every run that finds no config of ours.
    """

    __slots__ = ("no_fail", "no_color", "verbose", "formats", "override", "ignored", "trusted_registries",
                 "label_schema", "strict_labels", "disable_ignore_pragma", "failure_threshold", "path", "lines",
                 "warnings")

    def __init__(self, *, no_fail: bool | None = None, no_color: bool | None = None, verbose: bool | None = None,
                 formats: list[str] | None = None, override: dict[str, list[str]] | None = None,
                 ignored: list[str] | None = None, trusted_registries: list[str] | None = None,
                 label_schema: dict[str, str] | None = None, strict_labels: bool | None = None,
                 disable_ignore_pragma: bool | None = None, failure_threshold: str | None = None,
                 path: Path | None = None, lines: dict[str, int] | None = None,
                 warnings: list[str] | None = None) -> None:
        self.no_fail, self.no_color, self.verbose = no_fail, no_color, verbose
        self.formats: list[str] = formats or []
        self.override: dict[str, list[str]] = override or {level: [] for level in LEVELS}
        self.ignored: list[str] = ignored or []
        self.trusted_registries: list[str] = trusted_registries or []
        self.label_schema: dict[str, str] = label_schema or {}
        self.strict_labels, self.disable_ignore_pragma = strict_labels, disable_ignore_pragma
        self.failure_threshold = failure_threshold
        self.path = path  # the file, when one was read
        self.lines: dict[str, int] = lines or {}  # hadolint key -> line in the file
        self.warnings: list[str] = warnings or []

    def __repr__(self) -> str:
        return "HadolintSettings(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__) + ")"

    def merged(self, later: HadolintSettings) -> HadolintSettings:
        """hadolint's ``<>``: ``later`` wins for settings, lists are joined, the label schema keeps ours."""
        def pick(a: Any, b: Any) -> Any:
            return b if b is not None else a

        return HadolintSettings(
            no_fail=pick(self.no_fail, later.no_fail), no_color=pick(self.no_color, later.no_color),
            verbose=pick(self.verbose, later.verbose), formats=self.formats + later.formats,
            override={lv: self.override[lv] + later.override[lv] for lv in LEVELS},
            ignored=self.ignored + later.ignored,
            trusted_registries=_unique(self.trusted_registries + later.trusted_registries),
            label_schema={**later.label_schema, **self.label_schema},  # Data.Map's left-biased union
            strict_labels=pick(self.strict_labels, later.strict_labels),
            disable_ignore_pragma=pick(self.disable_ignore_pragma, later.disable_ignore_pragma),
            failure_threshold=pick(self.failure_threshold, later.failure_threshold),
            path=later.path or self.path, lines={**self.lines, **later.lines},
            warnings=self.warnings + later.warnings,
        )


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def candidate_paths(cwd: Path, environ: Mapping[str, str]) -> list[Path]:
    """Where hadolint looks for its config, in its order (Linux and macOS)."""
    home = Path(environ.get("HOME") or os.path.expanduser("~"))
    xdg = Path(environ["XDG_CONFIG_HOME"]) if environ.get("XDG_CONFIG_HOME") else home / ".config"
    return ([cwd / n for n in HIDDEN] + [xdg / n for n in VISIBLE]
            + [home / ".hadolint" / n for n in VISIBLE + MORE] + [home / n for n in HIDDEN])


def find_hadolint_config(cwd: Path, environ: Mapping[str, str] | None = None) -> Path | None:
    """The file hadolint would read when run in ``cwd``, or None."""
    environ = os.environ if environ is None else environ
    return next((p for p in candidate_paths(cwd, environ) if p.is_file()), None)


def read_hadolint_file(path: Path) -> HadolintSettings:
    """Parse and check a hadolint YAML config; unknown keys become warnings."""
    from .yaml_file import read_yaml_file

    data, lines = read_yaml_file(path)
    settings = HadolintSettings(path=path, lines=lines)
    for key, value in data.items():
        where = lines.get(key)
        if key not in KNOWN_KEYS:
            settings.warnings.append(_at(path, where) + f"unknown hadolint key '{key}' is ignored "
                                     f"(hadolint knows: {', '.join(KNOWN_KEYS)})")
        elif value is None:
            continue  # ``key:`` with nothing after it: hadolint's ``.!= mempty``
        elif key in ("no-fail", "no-color", "verbose", "strict-labels", "disable-ignore-pragma"):
            if not isinstance(value, bool):
                raise ConfigError(f"'{key}' must be true or false", path, where)
            setattr(settings, key.replace("-", "_"), value)
        elif key in ("format", "formats"):
            values = [value] if key == "format" else _str_list(value, key, path, where, scalar=False)
            for fmt in values:
                if not isinstance(fmt, str) or fmt not in HADOLINT_FORMATS:
                    raise ConfigError(f"'{key}' must be one of {', '.join(HADOLINT_FORMATS)}", path, where)
                settings.formats.append(fmt)
        elif key == "ignored":
            settings.ignored = _str_list(value, key, path, where, scalar=False)
        elif key == "trustedRegistries":
            settings.trusted_registries = _str_list(value, key, path, where, scalar=True)
        elif key == "failure-threshold":
            if not isinstance(value, str) or value not in THRESHOLDS:
                raise ConfigError(f"'failure-threshold' must be one of {', '.join(THRESHOLDS)}", path, where)
            settings.failure_threshold = value
        elif key == "override":
            _read_override(value, settings, path, lines)
        elif key == "label-schema":
            _read_label_schema(value, settings, path, lines)
    return settings


def _at(path: Path | None, line: int | None) -> str:
    return f"{path}:{line}: " if path and line else f"{path}: " if path else ""


def _str_list(value: Any, key: str, path: Path, where: int | None, *, scalar: bool) -> list[str]:
    if scalar and isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"'{key}' must be a list of strings", path, where)


def _read_override(value: Any, settings: HadolintSettings, path: Path, lines: Mapping[str, int]) -> None:
    if not isinstance(value, Mapping):
        raise ConfigError("'override' must map error, warning, info or style to lists of rules", path,
                          lines.get("override"))
    for level, ids in value.items():
        where = lines.get(f"override.{level}", lines.get("override"))
        if level not in LEVELS:
            settings.warnings.append(_at(path, where) + f"unknown hadolint key 'override.{level}' is ignored "
                                     f"(hadolint knows: {', '.join(LEVELS)})")
            continue
        if ids is not None:
            settings.override[level] = _str_list(ids, f"override.{level}", path, where, scalar=False)


def _read_label_schema(value: Any, settings: HadolintSettings, path: Path, lines: Mapping[str, int]) -> None:
    if not isinstance(value, Mapping):
        raise ConfigError("'label-schema' must map label names to types", path, lines.get("label-schema"))
    for label, kind in value.items():
        where = lines.get(f"label-schema.{label}", lines.get("label-schema"))
        kind = "text" if kind is None or kind == "" else kind  # hadolint reads "" as text
        if not isinstance(kind, str) or kind not in LABEL_TYPES:
            raise ConfigError(f"label '{label}' has type {kind!r}: use one of {', '.join(LABEL_TYPES)}", path, where)
        settings.label_schema[str(label)] = kind


def from_environment(environ: Mapping[str, str] | None = None) -> HadolintSettings | None:
    """The ``HADOLINT_*`` variables as settings, or None when none is set."""
    environ = os.environ if environ is None else environ
    names = [k for k in environ if k.startswith("HADOLINT_")]
    if not names:
        return None
    settings = HadolintSettings()
    for name in sorted(names):
        if name not in ENV_VARS:
            settings.warnings.append(f"unknown hadolint variable {name} is ignored "
                                     f"(hadolint knows: {', '.join(ENV_VARS)})")
    get = environ.get

    def truthy(name: str) -> bool | None:
        value = get(name)
        return None if value is None else value.lower() in _TRUTHY

    def ids(name: str) -> list[str]:
        # hadolint splits on "," and keeps every piece as given (a space is part of the id)
        return [v for v in (get(name) or "").split(",") if v]

    settings.no_fail, settings.verbose = truthy("HADOLINT_NOFAIL"), truthy("HADOLINT_VERBOSE")
    settings.strict_labels = truthy("HADOLINT_STRICT_LABELS")
    settings.disable_ignore_pragma = truthy("HADOLINT_DISABLE_IGNORE_PRAGMA")
    for fmt in ids("HADOLINT_FORMAT"):
        if fmt in HADOLINT_FORMATS:
            settings.formats.append(fmt)
        else:
            settings.warnings.append(f"HADOLINT_FORMAT: unknown format '{fmt}' is ignored")
    for level in LEVELS:
        settings.override[level] = ids(f"HADOLINT_OVERRIDE_{level.upper()}")
    settings.ignored = ids("HADOLINT_IGNORE")
    settings.trusted_registries = ids("HADOLINT_TRUSTED_REGISTRIES")
    for item in ids("HADOLINT_REQUIRE_LABELS"):
        label, _, kind = item.partition(":")
        if kind in LABEL_TYPES or kind == "":
            settings.label_schema[label] = kind or "text"
        else:
            settings.warnings.append(f"HADOLINT_REQUIRE_LABELS: label '{label}' has unknown type '{kind}': ignored")
    threshold = get("HADOLINT_FAILURE_THRESHOLD")
    if threshold is not None:
        if threshold in THRESHOLDS:
            settings.failure_threshold = threshold
        else:
            settings.warnings.append(f"HADOLINT_FAILURE_THRESHOLD: unknown level '{threshold}' is ignored")
    return settings


def load_settings(cwd: Path, environ: Mapping[str, str] | None = None,
                  explicit: Path | None = None) -> HadolintSettings | None:
    """hadolint's environment merged with its config file (``explicit``, else found), or None when neither exists."""
    env = from_environment(environ)
    path = explicit if explicit is not None else find_hadolint_config(cwd, environ)
    if explicit is not None and not explicit.is_file():
        raise ConfigError("config file not found", explicit)
    from_file = read_hadolint_file(path) if path is not None else None
    if env is None:
        return from_file
    return env if from_file is None else env.merged(from_file)


def to_table(settings: HadolintSettings) -> dict[str, Any]:
    """Our config table (the keys of ``[tool.pylint-image]``) with the same meaning as ``settings``."""
    # hadolint runs ShellCheck on every RUN (its SC findings are part of what it reports)
    table: dict[str, Any] = {"shellcheck": True}
    rules: dict[str, dict[str, Any]] = {}
    if settings.trusted_registries:
        table["select"] = ["ALL", REGISTRY_RULE]  # a preview rule: runs when named
        rules[REGISTRY_RULE] = {"allowed": list(settings.trusted_registries)}
    if settings.ignored:
        table["ignore"] = _unique(settings.ignored)
    severity: dict[str, str] = {}
    for level in reversed(LEVELS):  # style first, error last: hadolint applies error last
        for token in settings.override[level]:
            severity[token] = level
    if severity:
        table["severity"] = severity
    if settings.no_fail:
        table["fail-on"] = "never"
    else:
        table["fail-on"] = THRESHOLDS[settings.failure_threshold or DEFAULT_THRESHOLD]
    if settings.disable_ignore_pragma is not None:
        table["disable-ignore-pragma"] = settings.disable_ignore_pragma
    output = [OUTPUT_FORMATS[f] for f in settings.formats if f in OUTPUT_FORMATS]
    if output:
        table["output-format"] = output[-1]
    if settings.no_color is not None:
        table["no-color"] = settings.no_color
    if settings.verbose is not None:
        table["verbose"] = settings.verbose
    if settings.label_schema or settings.strict_labels is not None:
        labels: dict[str, Any] = {}
        if settings.label_schema:
            labels["schema"] = dict(settings.label_schema)
            labels["required"] = list(settings.label_schema)
        if settings.strict_labels is not None:
            labels["strict"] = settings.strict_labels
        rules[LABEL_RULE] = labels
    if rules:
        table["rules"] = rules
    return table


def conversion_warnings(settings: HadolintSettings) -> list[str]:
    """What ``to_table`` could not carry over, one line each."""
    where = _at(settings.path, None)
    notes = [where + f"output format '{f}' is not one of ours: not carried over"
             for f in settings.formats if f not in OUTPUT_FORMATS]
    if len(settings.formats) > 1:
        notes.append(where + f"several output formats ({', '.join(settings.formats)}): we write one report, "
                     "in the last one given")
    return notes


def unknown_tokens(table: Mapping[str, Any], known: Any) -> list[tuple[str, str]]:
    """(key, token) pairs of ``ignore`` / ``severity`` that ``known(token)`` rejects."""
    found = [("ignore", t) for t in table.get("ignore", ()) if not known(t)]
    found += [("severity", t) for t in table.get("severity", {}) if not known(t)]
    return found


def drop_tokens(table: dict[str, Any], drop: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """``table`` without the given (key, token) pairs."""
    result = dict(table)
    gone = set(drop)
    if "ignore" in result:
        result["ignore"] = [t for t in result["ignore"] if ("ignore", t) not in gone]
    if "severity" in result:
        result["severity"] = {t: v for t, v in result["severity"].items() if ("severity", t) not in gone}
    return result


def table_lines(settings: HadolintSettings) -> dict[str, int]:
    """Our keys' lines in the hadolint file, so errors about them point at the hadolint key."""
    lines = settings.lines
    pairs = {"ignore": "ignored", "severity": "override", "fail-on": "failure-threshold",
             "disable-ignore-pragma": "disable-ignore-pragma", "output-format": "format",
             "no-color": "no-color", "verbose": "verbose", "rules": "trustedRegistries",
             "select": "trustedRegistries"}
    result = {ours: lines[theirs] for ours, theirs in pairs.items() if theirs in lines}
    if "label-schema" in lines:
        result.setdefault("rules", lines["label-schema"])
        result[f"rules.{LABEL_RULE}"] = lines["label-schema"]
    if "trustedRegistries" in lines:
        result[f"rules.{REGISTRY_RULE}"] = lines["trustedRegistries"]
    return result


def render_toml(table: Mapping[str, Any], header: str = "tool.pylint-image") -> str:
    """``table`` as TOML under ``[header]`` (strings, booleans, lists and nested tables only)."""
    simple = {k: v for k, v in table.items() if k != "rules"}
    out = [f"[{header}]"]
    out += [f"{_key(k)} = {_toml_value(v)}" for k, v in simple.items()]
    for rule, options in dict(table.get("rules", {})).items():
        out += ["", f"[{header}.rules.{_key(rule)}]"]
        out += [f"{_key(k)} = {_toml_value(v)}" for k, v in options.items()]
    return "\n".join(out) + "\n"


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def render_yaml(table: Mapping[str, Any]) -> str:
    """``table`` as a ``.pylint-image.yaml`` (JSON-style flow values, which YAML reads as they are)."""
    import json

    out = []
    for key, value in table.items():
        if key == "rules":
            out.append("rules:")
            for rule, options in dict(value).items():
                out.append(f"  {rule}:")
                out += [f"    {k}: {json.dumps(v)}" for k, v in options.items()]
        else:
            out.append(f"{key}: {json.dumps(value)}")
    return "\n".join(out) + "\n"

