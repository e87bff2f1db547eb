"""The build context's ``.dockerignore``, with the pattern semantics of moby/patternmatcher.

BuildKit reads ``<Dockerfile>.dockerignore`` next to the Dockerfile first, then the
context's ``.dockerignore``; the context is assumed to be the Dockerfile's directory.
Patterns: ``#`` comments, ``!`` exceptions (the last matching pattern wins), a leading
``/`` dropped, each pattern path-cleaned; ``*`` and ``?`` stay within one path part,
``**`` spans any number of parts; a path is excluded when it or one of its parent
directories matches.  Reading a file from a rule is the exception here: it is read once
per ``load`` call (once per linted Dockerfile), never cached across files or runs.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from pylint_image.linter import Dockerfile, Instruction

from .copying import is_remote, operands, unquote
from pylint_image.rules._shared import frozen


@frozen
class Pattern:
    """One compiled line of a .dockerignore."""

    text: str
    exclusion: bool  # a ``!pattern`` line: re-includes what earlier lines excluded
    regex: re.Pattern[str]


def _compile(pattern: str) -> re.Pattern[str]:
    """Translate a cleaned pattern to an anchored regex, as patternmatcher's ``compile`` does."""
    out, i = ["^"], 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1  # ``**/`` is ``**``
            out.append(".*" if i >= len(pattern) else "(.*/)?")
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch in "[]":
            out.append(ch)
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    try:
        return re.compile("".join(out) + "$")
    except re.error:  # an unbalanced ``[``: BuildKit fails the build; match nothing here
        return re.compile(r"(?!)")


def parse(text: str) -> tuple[Pattern, ...]:
    """Parse .dockerignore text into patterns (comments and blank lines skipped)."""
    patterns = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
        cleaned = posixpath.normpath(line.replace("\\", "/")) if line else line
        if len(cleaned) > 1 and cleaned.startswith("/"):
            cleaned = cleaned.lstrip("/")
        if cleaned:
            patterns.append(Pattern(cleaned, exclusion, _compile(cleaned)))
    return tuple(patterns)


def excluded(patterns: tuple[Pattern, ...], path: str) -> bool:
    """True when ``path`` (context-relative) or one of its parent directories is excluded."""
    path = posixpath.normpath(path.replace("\\", "/")).lstrip("/") or "."
    parent = posixpath.dirname(path)
    parents = ["/".join(parent.split("/")[: i + 1]) for i in range(len(parent.split("/")))] if parent else []
    matched = False
    for pattern in patterns:
        if pattern.exclusion != matched:
            continue  # an inclusion cannot change an excluded path, nor an exception a kept one
        hit = bool(pattern.regex.match(path)) or any(pattern.regex.match(p) for p in parents)
        if hit:
            matched = not pattern.exclusion
    return matched


def load(dockerfile: Dockerfile) -> tuple[Path, tuple[Pattern, ...]] | None:
    """Read the ignore file BuildKit would use for ``dockerfile``; None when absent or unreadable."""
    path = Path(dockerfile.path)
    for candidate in (path.with_name(path.name + ".dockerignore"), path.parent / ".dockerignore"):
        try:
            text = candidate.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError):  # unreadable: stay silent rather than guess
            return None
        return candidate, parse(text)
    return None


def ignored_sources(dockerfile: Dockerfile) -> list[tuple[Instruction, str]]:
    """``(instruction, source)`` for each COPY/ADD source from the build context that the ignore file excludes.

    Not judged: ``--from`` sources (another stage or image), URLs and git sources, heredocs,
    the whole context (``.``: the ignore file only trims it), and wildcards (a glob copies
    only what is left, so nothing fails).
    """
    loaded = load(dockerfile)
    if loaded is None or not loaded[1]:
        return []
    patterns = loaded[1]
    found = []
    for instruction in dockerfile.instructions():
        if instruction.keyword not in ("COPY", "ADD") or instruction.has_flag("from"):
            continue
        sources, _ = operands(instruction)
        for source in sources:
            text = unquote(source.text)
            if is_remote(text) or "$" in text or any(c in text for c in "*?["):
                continue
            cleaned = posixpath.normpath(text.replace("\\", "/")).lstrip("/") or "."
            if cleaned != "." and excluded(patterns, cleaned):
                found.append((instruction, cleaned))
    return found
