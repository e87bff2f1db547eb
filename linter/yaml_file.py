"""YAML config files (ours and hadolint's) as plain dicts with their keys' line numbers.

ruamel.yaml is imported only when a YAML file is read: a run without one never loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import ConfigError


def read_yaml_file(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """A YAML mapping as plain dicts, and its keys' lines (``key`` and ``key.sub``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc}", path) from None
    return read_yaml(path, text)


def read_yaml(path: Path, text: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse ``text`` of the YAML file ``path``: a mapping as plain dicts, and its keys' lines (``key``, ``key.sub``)."""
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
