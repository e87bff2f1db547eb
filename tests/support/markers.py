"""Parse fixture markers (``# expect: CODE``, ``# ok:``, ``# todo-expect:``, ``# todo-ok:``).

A marker is a whole-line comment that binds to the next line that is neither blank nor
a comment (the next instruction's first line), or to the next suppression pragma.  Headers in the first lines:
``# check: CODE[, CODE]`` (rules under test; default: the file stem before ``_``),
``# build-args: K=V, K2=V2`` and ``# config: <inline TOML table of the rule's options>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_MARKER = re.compile(r"^\s*#\s*(expect|ok|todo-expect|todo-ok)\s*:\s*(.+?)\s*$")
_PRAGMA = re.compile(r"^\s*#\s*(pylint-image\s*:|hadolint\s)", re.IGNORECASE)
_HEADER = re.compile(r"^\s*#\s*(check|build-args|config)\s*:\s*(.+?)\s*$")


@dataclass
class Expectations:
    """What a fixture promises, as sets of (line, code)."""

    codes: tuple[str, ...]
    expect: set[tuple[int, str]] = field(default_factory=set)
    ok: set[tuple[int, str]] = field(default_factory=set)
    todo_expect: set[tuple[int, str]] = field(default_factory=set)
    todo_ok: set[tuple[int, str]] = field(default_factory=set)
    build_args: dict[str, str] = field(default_factory=dict)
    config: str = ""


def parse_markers(path: Path, text: str | None = None) -> Expectations:
    """Read a fixture's headers and markers."""
    text = path.read_text(encoding="utf-8") if text is None else text
    lines = text.splitlines()
    exp = Expectations(codes=(path.name.split(".")[0].split("_")[0],))
    pending: list[tuple[str, list[str]]] = []
    for n, line in enumerate(lines, 1):
        header = _HEADER.match(line)
        if header and not pending:
            key, value = header.groups()
            if key == "check":
                exp.codes = tuple(c.strip() for c in value.split(",") if c.strip())
            elif key == "build-args":
                exp.build_args = dict(kv.strip().split("=", 1) for kv in value.split(",") if "=" in kv)
            else:
                exp.config = value
            continue
        marker = _MARKER.match(line)
        if marker:
            kind, codes = marker.groups()
            pending.append((kind, [c.strip() for c in codes.split(",") if c.strip()]))
            continue
        if not line.strip() or (line.lstrip().startswith("#") and not _PRAGMA.match(line)):
            continue  # pragmas are targets too: unused-suppression findings sit on them
        for kind, codes in pending:
            target = getattr(exp, kind.replace("-", "_"))
            target.update((n, c) for c in codes)
        pending = []
    return exp
