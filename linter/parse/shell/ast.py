"""The syntax tree of a shell script (a shell-form RUN or a heredoc body), shared by all rules.

``parser.parse_shell(text)`` builds it and never raises: unknown or broken syntax degrades to
plain words. The structure is deliberately small: lists of pipelines joined by
``&&``/``||``/``;``/``&``, pipelines of commands, commands that are simple (argv, assignments,
redirects) or groups (``( )``/``{ }``/compound keywords), and ``$( )``/backtick substitutions
inside words. This module imports nothing else of the shell package.
"""

from __future__ import annotations

import sys
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import field

from ...model.frozen import frozen
from ...model.span import Span


@frozen
class Word:
    """One shell word: ``text`` has quotes and escapes removed (no expansion); offsets are into the script."""

    text: str
    raw: str
    start: int
    end: int
    quoted: bool = False  # some part was quoted
    expands: bool = False  # contains ``$``/backtick expansion outside single quotes
    substitutions: tuple[ShellList, ...] = ()  # ``$( )`` and backtick bodies, parsed


@frozen
class Redirect:
    """A redirection such as ``> /dev/null``, ``2>&1`` or ``<<EOF``."""

    op: str  # the operator with its fd prefix, e.g. "2>", ">>", "<<-", "&>"
    target: Word | None
    start: int
    end: int


@frozen
class Command:
    """A simple command: ``FOO=bar cmd arg >file``."""

    argv: tuple[Word, ...]
    assignments: tuple[Word, ...] = ()
    redirects: tuple[Redirect, ...] = ()
    start: int = 0
    end: int = 0
    keyword: str | None = None  # the compound keyword it follows (``if``, ``while``...), if any

    @property
    def args(self) -> tuple[str, ...]:
        """The argv texts (quotes removed)."""
        return tuple(w.text for w in self.argv)

    @property
    def name(self) -> str | None:
        """argv[0] as written (unquoted), or None for a bare assignment/redirect."""
        return self.argv[0].text if self.argv else None

    def sets_pipefail(self) -> bool:
        """True for ``set -o pipefail`` / ``set -euo pipefail`` (and ``-o`` among clustered flags)."""
        a = self.args
        if not a or a[0] != "set":
            return False
        return any(
            x.startswith("-") and "o" in x[1:] and i + 1 < len(a) and a[i + 1] == "pipefail"
            for i, x in enumerate(a[1:], start=1)
        )


@frozen
class Group:
    """A subshell ``( )``, a brace group ``{ }`` or a compound (``if``/``for``/``while``/``case``) body."""

    kind: str  # "(", "{", "if", "for", "while", "until", "case", "function"
    body: ShellList
    redirects: tuple[Redirect, ...] = ()
    start: int = 0
    end: int = 0
    header: tuple[Word, ...] = ()  # e.g. the words after ``for``/``case``


@frozen
class Pipeline:
    """Commands joined by ``|`` (``|&`` counts as ``|``); ``negated`` for a leading ``!``."""

    commands: tuple[Command | Group, ...]
    negated: bool = False

    @property
    def is_pipe(self) -> bool:
        """True when there is more than one command."""
        return len(self.commands) > 1


@frozen
class ShellList:
    """Pipelines in order; ``operators[i]`` joins item i and i+1 (``&&``, ``||``, ``;``, ``&``, newline as ``;``)."""

    items: tuple[Pipeline, ...] = ()
    operators: tuple[str, ...] = ()
    background_last: bool = False  # the list ends with ``&``

    def pipelines(self) -> Iterator[Pipeline]:
        """Every pipeline, including those nested in groups and substitutions."""
        for p in self.items:
            yield p
            for c in p.commands:
                yield from _nested_lists_pipelines(c)

    def commands(self) -> Iterator[Command]:
        """Every simple command in source order, including nested ones."""
        for p in self.items:
            for c in p.commands:
                yield from _walk_commands(c)


def _nested_lists_pipelines(node: Command | Group) -> Iterator[Pipeline]:
    if isinstance(node, Group):
        yield from node.body.pipelines()
        words: tuple[Word, ...] = node.header
    else:
        words = node.argv + node.assignments + tuple(r.target for r in node.redirects if r.target)
    for w in words:
        for sub in w.substitutions:
            yield from sub.pipelines()


def _walk_commands(node: Command | Group) -> Iterator[Command]:
    if isinstance(node, Group):
        for w in node.header:
            for sub in w.substitutions:
                yield from sub.commands()
        yield from node.body.commands()
        return
    yield node
    for w in node.assignments + node.argv:
        for sub in w.substitutions:
            yield from sub.commands()
    for r in node.redirects:
        if r.target:
            for sub in r.target.substitutions:
                yield from sub.commands()


@frozen
class ShellScript:
    """A parsed script with a map from its offsets back to Dockerfile lines and columns."""

    source: str
    body: ShellList
    comments: tuple[tuple[int, str], ...] = ()  # (offset, text without ``#``)
    # (offset, line, column) anchors: offset o maps to line, column + (o - offset)
    anchors: tuple[tuple[int, int, int], ...] = field(default=((0, 1, 1),))
    errors: tuple[str, ...] = ()  # syntax problems tolerated while parsing
    heredoc_bodies: tuple[tuple[int, str], ...] = ()  # (offset of the ``<<`` redirect, body)

    def commands(self) -> Iterator[Command]:
        """Every simple command, including those in groups and ``$( )``/backticks."""
        return self.body.commands()

    def pipelines(self) -> Iterator[Pipeline]:
        """Every pipeline, including nested ones."""
        return self.body.pipelines()

    @property
    def sets_pipefail(self) -> bool:
        """True when some ``set`` command turns on ``pipefail``."""
        return any(c.sets_pipefail() for c in self.commands())

    def position(self, offset: int) -> tuple[int, int]:
        """The Dockerfile (line, column) of script ``offset``."""
        # A probe tuple that sorts after every anchor at ``offset``: plain tuple comparison in C,
        # not a Python key call per step (a huge continuation has 100 000s of anchors).
        i = max(bisect_right(self.anchors, (offset, _AFTER, _AFTER)) - 1, 0)
        o, line, col = self.anchors[i]
        return line, col + offset - o

    def span(self, start: int, end: int) -> Span:
        """The Dockerfile span of script offsets ``[start, end)``."""
        sl, sc = self.position(start)
        el, ec = self.position(max(end - 1, start))
        return Span(sl, sc, el, ec + (1 if end > start else 0))

    def span_of(self, node: Word | Command | Redirect | Group) -> Span:
        """The Dockerfile span of a word, command, redirect or group."""
        return self.span(node.start, node.end)


_AFTER = sys.maxsize
