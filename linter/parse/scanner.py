"""A line scanner that splits Dockerfile text into raw instructions the way BuildKit's parser does.

It reproduces the observable behaviour of BuildKit's ``parser.Parse`` (line continuation
regex, comment and empty-line skipping inside continuations, parser directives, heredoc
bodies) so that line ranges agree with ``docker build``; it keeps a map from every character
of the joined logical line back to its physical line and column.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from ..errors import ParseError
from .heredoc import RawHeredoc, heredoc_words

# BuildKit's directive grammar: ``# key = value`` with a letter-led alphanumeric key.
_DIRECTIVE_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_VALID_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_HEREDOC_KEYWORDS = frozenset({"run", "copy", "add"})
_SPACE = " \t\n\r\v\f\x85\xa0"


@dataclass(slots=True)
class LogicalLine:
    """A joined instruction line with a map from its offsets back to source positions."""

    text: str
    start_line: int
    end_line: int
    # parallel lists: piece i starts at joined offset offsets[i] on (lines[i], cols[i])
    offsets: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    heredocs: list[RawHeredoc] = field(default_factory=list)
    end: int = 0  # length of the text once joined
    parts: list[str] = field(default_factory=list)  # pieces added since the last join

    def add(self, piece: str, line: int, col: int) -> None:
        """Append ``piece``, which starts at 1-based ``line``/``col`` in the source; ``join`` makes the text."""
        self.offsets.append(self.end)
        self.lines.append(line)
        self.cols.append(col)
        self.parts.append(piece)
        self.end += len(piece)

    def join(self) -> None:
        """Append the pieces added so far to ``text`` (one join: ``+=`` per line is quadratic)."""
        self.text += "".join(self.parts)
        self.parts.clear()

    def position(self, offset: int) -> tuple[int, int]:
        """Return the 1-based (line, column) of joined-text ``offset``."""
        i = max(bisect_right(self.offsets, offset) - 1, 0)
        return self.lines[i], self.cols[i] + offset - self.offsets[i]

    def end_position(self, offset: int) -> tuple[int, int]:
        """Return the exclusive (line, column) end of a token ending at joined ``offset``."""
        if offset <= 0:
            return self.position(0)
        line, col = self.position(offset - 1)
        return line, col + 1


@dataclass(slots=True)
class ScanResult:
    """Everything the scanner found: physical lines, directives, comments and logical lines."""

    lines: list[str]  # source lines without terminators
    endings: list[str]  # what followed each line: "\n", "\r\n" or "" at EOF
    directives: dict[str, tuple[str, int, int, int]]  # key -> (value, line, start_col, end_col)
    comments: list[tuple[str, int, int, int]]  # (text, line, start_col, end_col)
    logical: list[LogicalLine]
    escape: str = "\\"


def split_physical(text: str) -> tuple[list[str], list[str]]:
    """Split on ``\\n`` only (a lone ``\\r`` is not a line break for BuildKit), keeping the endings."""
    parts = text.split("\n")
    last = parts.pop()
    endings = ["\n"] * len(parts)
    if "\r" in text:
        for k, p in enumerate(parts):
            if p.endswith("\r"):
                stripped = p.rstrip("\r")
                endings[k] = p[len(stripped):] + "\n"
                parts[k] = stripped
    if last:
        stripped = last.rstrip("\r")
        parts.append(stripped)
        endings.append(last[len(stripped):])
    return parts, endings


def _is_comment(text: str) -> bool:
    return text.lstrip(_SPACE).startswith("#")


class _Directives:
    """BuildKit's directive state machine: directives only before any other line."""

    def __init__(self, path: str) -> None:
        self.done = False
        self.found: dict[str, tuple[str, int, int, int]] = {}
        self.path = path

    def feed(self, text: str, line: int, col: int) -> str | None:
        """Look at one line (already left-stripped); return the escape value when it sets one."""
        if self.done:
            return None
        if not text.startswith("#"):
            self.done = True
            return None
        m = _DIRECTIVE_RE.match(text[1:].lstrip(_SPACE))
        key = m.group(1).lower() if m else ""
        if key not in _VALID_DIRECTIVES:
            self.done = True
            return None
        if key in self.found:
            raise ParseError(f"only one {key} parser directive can be used", self.path, line)
        value = m.group(2)  # type: ignore[union-attr]
        self.found[key] = (value, line, col, col + len(text))
        if key == "escape":
            if value not in ("`", "\\"):
                raise ParseError(f"invalid escape token '{value}' does not match ` or \\", self.path, line)
            return value
        return None


def _continuation(text: str, escape: str) -> tuple[str, bool]:
    """Strip a trailing continuation escape; return (text, is_end_of_line) like BuildKit's regex."""
    stripped = text.rstrip(" \t")
    if not stripped.endswith(escape):
        return text, True
    # the escape must not itself be escaped (BuildKit: ``([^E])E[ \t]*$|^E[ \t]*$``)
    if len(stripped) >= 2 and stripped[-2] == escape:
        return text, True
    return stripped[:-1], False


def scan(text: str, path: str) -> ScanResult:
    """Split ``text`` (BOM already removed) into logical instruction lines, as BuildKit does."""
    physical, endings = split_physical(text)
    directives = _Directives(path)
    escape = "\\"
    comments: list[tuple[str, int, int, int]] = []
    logical: list[LogicalLine] = []
    n = len(physical)
    i = 0
    while i < n:
        raw = physical[i]
        lineno = i + 1
        i += 1
        stripped = raw.lstrip(_SPACE)
        lead = len(raw) - len(stripped)
        if stripped.startswith("#"):
            comments.append((stripped[1:].strip(), lineno, lead + 1, len(raw) + 1))
        new_escape = directives.feed(stripped, lineno, lead + 1)
        if new_escape:
            escape = new_escape
        if stripped.startswith("#"):
            continue
        body, eol = _continuation(stripped, escape)
        if eol and not body:
            continue
        node = LogicalLine("", lineno, lineno)
        node.add(body, lineno, lead + 1)
        while not eol and i < n:
            raw = physical[i]
            lineno = i + 1
            i += 1
            node.end_line = lineno
            if _is_comment(raw):
                # BuildKit drops comment lines inside a continuation; we keep them as comments
                s = raw.lstrip(_SPACE)
                comments.append((s[1:].strip(), lineno, len(raw) - len(s) + 1, len(raw) + 1))
                continue
            if not raw.strip(_SPACE):
                continue
            body, eol = _continuation(raw, escape)
            node.add(body, lineno, 1)
        node.join()
        directives.done = True
        logical.append(node)
        if "<<" in node.text and _can_contain_heredoc(node.text):
            i = _read_heredocs(node, physical, endings, i, path)
    return ScanResult(physical, endings, directives.found, comments, logical, escape)


def _can_contain_heredoc(line: str) -> bool:
    """True for RUN/COPY/ADD (also behind ONBUILD) that are not in JSON form."""
    from .buildkit_words import is_json_form, split_keyword, extract_flags

    kw, rest_at = split_keyword(line)
    if kw.lower() == "onbuild" and rest_at < len(line):
        sub = line[rest_at:]
        kw, sub_at = split_keyword(sub)
        rest_at += sub_at
    if kw.lower() not in _HEREDOC_KEYWORDS:
        return False
    _flags, args_at = extract_flags(line, rest_at)
    return not is_json_form(line[args_at:])


def _read_heredocs(node: LogicalLine, physical: list[str], endings: list[str], i: int, path: str) -> int:
    """Consume the heredoc bodies announced on ``node``; return the next physical index."""
    for doc in heredoc_words(node.text):
        terminated = False
        body: list[str] = []
        doc.body_start_line = i + 1
        while i < len(physical):
            line = physical[i]
            i += 1
            candidate = line.lstrip("\t") if doc.chomp else line
            if candidate == doc.name:
                terminated = True
                doc.end_line = i
                break
            body.append(line + endings[i - 1])
        if not terminated:
            raise ParseError("unterminated heredoc", path, node.start_line)
        doc.content = "".join(body)
        node.heredocs.append(doc)
        node.end_line = i
    return i
