"""The one ``$VAR`` expander, and the ARG/ENV scope it expands with.

Expansion follows BuildKit's shell-word processing (``frontend/dockerfile/shell/lex.go``,
``Lex.ProcessWord`` as the dispatcher uses it for ENV, ARG, LABEL, COPY, WORKDIR, USER ...):

- the escape character (``\\``, or the ``# escape=`` directive's) makes the next character
  literal and is removed: ``\\$B`` is ``$B``; at the end of the text it is dropped;
- ``'...'`` is literal and its quotes are removed; inside ``"..."`` the quotes are removed,
  ``$`` expands, and the escape character escapes only ``"``, ``$`` and itself;
- ``$NAME`` and ``${NAME}`` (a name is letters, digits and ``_``; ``$1`` reads all digits;
  ``$@ $* $# $? $- $$ $! $0`` are one character); a ``$`` before anything else is literal;
- ``${NAME:-word}`` / ``${NAME-word}``: word when NAME is unset or empty / unset;
  ``${NAME:+word}`` / ``${NAME+word}``: word when NAME is set and not empty / set, else
  ``''``; ``${NAME:?msg}`` / ``${NAME?msg}``: the value, or BuildKit fails the build; the word
  is itself expanded, with quotes and escapes;
- ``${}``, ``${:x}``, ``${{x}``, an unterminated ``${``, quote or an unknown modifier fail the
  build in BuildKit.

What a linter cannot know is where it departs from a build, on purpose:

- A name absent from the scope is **unknown**, not empty: it may come from the base image's
  ENV (``PATH``, ``HOME``) or from a ``--build-arg`` the linter was not given.  A name mapped to
  ``None`` (an ``ARG NAME`` without a value, or a value cut by the expansion budget) is
  unknown too.  An unknown ``$X``, ``${X}``, ``${X:+w}``, ``${X+w}``, ``${X:?m}`` and
  ``${X?m}`` stay **as written**, so that ``has_variables`` still sees them and rules treat
  the result as unknown (BuildKit's ``SkipUnsetEnv`` does the same).  ``${X:-w}`` and
  ``${X-w}`` give ``w``: that is what a build without ``--build-arg X`` uses, and the value
  rules judge.  ``unset="empty"`` makes absent names unset as in BuildKit's dispatcher
  (``$X`` is ``''``), for a scope known to be complete.
- ``${X#p}``, ``${X%p}`` and ``${X/p/r}`` are left as written (unknown to the rules).
- Where BuildKit fails the build (a syntax error, ``${X:?}`` of an empty X), the whole text
  is returned as written: unknown to the rules, and left to the parser's own checks.

Expansion is bounded (``linter/expansion.py``): every value substituted is charged to an
``ExpansionBudget`` before it is used; a text whose expansion the budget cannot pay for, or
nested deeper than ``MAX_NESTING``, is returned as written.

Scope follows BuildKit: global ARGs (before the first FROM) are visible in FROM lines and,
inside a stage, only once re-declared with ``ARG NAME``; ``--build-arg`` overrides a declared
ARG's default; ENV wins over ARG; a stage built ``FROM <alias>`` inherits the alias stage's
ENV (ARGs are not inherited).  An ARG or ENV value whose expansion would overrun the budget
of the pass building the scope is declared without a value (``None``) and recorded in
``Scope.cuts`` (DF0008 reports them).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Literal

from ..expansion import MAX_NESTING, ExpansionBudget, ExpansionCut, expansion_limit
from .buildkit_words import split_words, unquote

if TYPE_CHECKING:
    from ..model.dockerfile import Dockerfile, Instruction, Stage

Unset = Literal["unknown", "empty"]

_SPECIAL = frozenset("@*#?-$!0")  # BuildKit's isSpecialParam: one-character names
_REF_RE = re.compile(r"\$(?:\{[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*)")


class _Invalid(Exception):
    """Text BuildKit refuses to expand (it fails the build): returned as written."""


class Scope(dict[str, "str | None"]):
    """Variables in scope (``None``: declared, value unknown), with what expanding them needs.

    ``budget`` is shared by every ``expand`` over this scope (and its copies); ``cuts`` lists
    the ``(instruction, name)`` assignments left without a value because expanding them
    would have overrun the budget of the pass that built the scope; ``escape`` is the
    Dockerfile's escape character.
    """

    __slots__ = ("budget", "cuts", "escape")

    def __init__(self, values: Mapping[str, str | None] | None = None, budget: ExpansionBudget | None = None,
                 cuts: list[tuple[Instruction, str]] | None = None, escape: str = "\\") -> None:
        super().__init__(values or {})
        self.budget = budget if budget is not None else ExpansionBudget(expansion_limit(0))
        self.cuts = cuts if cuts is not None else []
        self.escape = escape

    def copy(self) -> Scope:
        """A copy sharing the budget and the cut list."""
        return Scope(self, self.budget, self.cuts, self.escape)


def expand(text: str, scope: Mapping[str, str | None], *, escape: str | None = None, quotes: bool = True,
           unset: Unset = "unknown", budget: ExpansionBudget | None = None) -> str:
    """Expand one Dockerfile word as BuildKit does (see the module docstring for the rules).

    ``escape`` defaults to the scope's escape character (``\\`` for a plain mapping); ``""``
    disables escapes.  ``quotes=False`` leaves quote characters literal (BuildKit's
    ``SkipProcessQuotes``; also for text whose quotes were already removed, as shell words
    are).  ``budget`` defaults to the scope's, else one linear in ``text``.  Unknown variables,
    an expansion the budget cannot pay for and syntax BuildKit rejects stay as written.
    """
    if escape is None:
        escape = getattr(scope, "escape", "\\")
    if "$" not in text and (not escape or escape not in text) and not (quotes and ("'" in text or '"' in text)):
        return text  # nothing to expand, unquote or unescape
    try:
        return _expand(text, scope, escape=escape, quotes=quotes, unset=unset, budget=budget)
    except (ExpansionCut, _Invalid):
        return text


def _expand(text: str, scope: Mapping[str, str | None], *, escape: str | None = None, quotes: bool = True,
            unset: Unset = "unknown", budget: ExpansionBudget | None = None) -> str:
    """``expand`` that raises ExpansionCut or _Invalid instead of returning ``text``."""
    if escape is None:
        escape = getattr(scope, "escape", "\\")
    if budget is None:
        budget = getattr(scope, "budget", None) or ExpansionBudget.for_text(text)
    return _Word(text, scope, escape or "", quotes, unset == "empty", budget).run()


@functools.lru_cache(maxsize=64)
def _special_chars(stop: str, escape: str, quotes: bool) -> re.Pattern[str]:
    """The characters ``_Word.until`` must look at: ``$``, the stop, the escape and the quotes."""
    chars = "$" + stop + escape + ("'\"" if quotes else "")
    return re.compile("[" + re.escape(chars) + "]")


class _Word:
    """One pass of BuildKit's shellWord over ``text`` (``processStopOn`` and friends)."""

    __slots__ = ("text", "pos", "scope", "escape", "quotes", "empty", "budget")

    def __init__(self, text: str, scope: Mapping[str, str | None], escape: str, quotes: bool, empty: bool,
                 budget: ExpansionBudget) -> None:
        self.text, self.pos, self.scope, self.escape = text, 0, scope, escape
        self.quotes, self.empty, self.budget = quotes, empty, budget

    def run(self) -> str:
        return self.until("", 0)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def until(self, stop: str, depth: int) -> str:
        """Process up to ``stop`` (consumed; "" for the end of the text)."""
        out: list[str] = []
        text, escape = self.text, self.escape
        while self.pos < len(text):
            ch = text[self.pos]
            if stop and ch == stop:
                self.pos += 1
                return "".join(out)
            if ch == "$":
                out.append(self.dollar(depth))
            elif self.quotes and ch == "'":
                out.append(self.single_quoted())
            elif self.quotes and ch == '"':
                out.append(self.double_quoted(depth))
            elif ch == escape:
                self.pos += 1
                if self.pos >= len(text):
                    break  # an escape at the very end is dropped
                out.append(text[self.pos])
                self.pos += 1
            else:  # a run of ordinary characters, copied in one slice
                special = _special_chars(stop, escape, self.quotes).search(text, self.pos + 1)
                end = special.start() if special else len(text)
                out.append(text[self.pos:end])
                self.pos = end
        if stop:
            raise _Invalid(f"missing {stop!r}")
        return "".join(out)

    def single_quoted(self) -> str:
        end = self.text.find("'", self.pos + 1)
        if end < 0:
            raise _Invalid("unterminated single quote")
        value = self.text[self.pos + 1:end]
        self.pos = end + 1
        return value

    def double_quoted(self, depth: int) -> str:
        out: list[str] = []
        text, escape = self.text, self.escape
        self.pos += 1
        while self.pos < len(text):
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                return "".join(out)
            if ch == "$":
                out.append(self.dollar(depth))
                continue
            self.pos += 1
            if ch == escape and self.pos < len(text) and text[self.pos] in ('"', "$", escape):
                ch = text[self.pos]
                self.pos += 1
            elif ch == escape and self.pos >= len(text):
                continue  # BuildKit ignores it, then finds the quote unterminated
            out.append(ch)
        raise _Invalid("unterminated double quote")

    def name(self) -> str:
        text, start = self.text, self.pos
        if start < len(text) and text[start].isdigit():
            end = start
            while end < len(text) and text[end].isdigit():
                end += 1
        elif start < len(text) and text[start] in _SPECIAL:
            end = start + 1
        else:
            end = start
            while end < len(text) and (text[end].isalnum() or text[end] == "_"):
                end += 1
        self.pos = end
        return text[start:end]

    def lookup(self, name: str) -> tuple[bool | None, str]:
        """(True, value) when set, (False, "") when unset, (None, "") when unknown."""
        if name in self.scope:
            value = self.scope[name]
            return (None, "") if value is None else (True, value)
        return (False, "") if self.empty else (None, "")

    def paid(self, value: str) -> str:
        self.budget.charge(len(value))  # before the value is used: a cut costs nothing more
        return value

    def dollar(self, depth: int) -> str:
        start = self.pos
        self.pos += 1
        if self.peek() != "{":
            name = self.name()
            if not name:
                return "$"
            known, value = self.lookup(name)
            return self.text[start:self.pos] if known is None else self.paid(value)
        self.pos += 1
        if self.peek() in ("", "{", "}", ":"):
            raise _Invalid("bad substitution")
        if depth >= MAX_NESTING:
            raise _Invalid("nested too deep")
        name = self.name()
        op = self.peek()
        self.pos += 1
        if op == "}":
            known, value = self.lookup(name)
            return self.text[start:self.pos] if known is None else self.paid(value)
        colon = op == ":"
        if colon:
            op = self.peek()
            self.pos += 1
            if op in ("#", "%"):
                raise _Invalid("unsupported modifier")
        if op == "/" and not colon:
            self.until("/", depth + 1)
            self.until("}", depth + 1)
            return self.text[start:self.pos]  # pattern replacement: left unknown
        if op not in ("-", "+", "?", "#", "%"):
            raise _Invalid("unsupported modifier")
        word = self.until("}", depth + 1)
        known, value = self.lookup(name)
        if op in ("#", "%"):
            return self.text[start:self.pos]  # pattern removal: left unknown
        if known is None:
            return word if op == "-" else self.text[start:self.pos]
        empty = not known or (colon and value == "")
        if op == "-":
            return word if empty else self.paid(value)
        if op == "+":
            return "" if empty else word
        if empty:
            raise _Invalid(f"{name}: {word or 'is not allowed to be unset or empty'}")
        return self.paid(value)


def has_variables(text: str) -> bool:
    """True when ``text`` still contains a ``$NAME`` or ``${NAME...}`` reference."""
    return _REF_RE.search(text) is not None


def parse_assignments(instruction: Instruction) -> list[tuple[str, str | None]]:
    """``(name, value)`` pairs of an ARG or ENV instruction, quotes and escapes removed, not
    expanded (value None: an ARG without a default)."""
    return [(name, None if raw is None else unquote(raw))
            for name, raw in _assignments(instruction.keyword, instruction.value_after_flags)]


# Every rule that resolves variables walks the ARG/ENV instructions again: memoizing this
# pure function of the text keeps the word splitting to once per distinct line.
@functools.lru_cache(maxsize=4096)
def _assignments(keyword: str, text: str) -> tuple[tuple[str, str | None], ...]:
    """``(name, value as written)`` pairs, split into words as BuildKit's parseNameVal does."""
    words = [w for _, _, w in split_words(text)]
    if keyword == "ENV" and words and "=" not in words[0]:
        # legacy form ``ENV NAME value with spaces``: the value is the rest of the line
        return ((words[0], text.strip()[len(words[0]):].strip()),)
    pairs: list[tuple[str, str | None]] = []
    for word in words:
        name, sep, value = word.partition("=")
        pairs.append((name, value if sep else None))
    return tuple(pairs)


def _assigned(instruction: Instruction, name: str, text: str, scope: Scope, values: ExpansionBudget) -> str | None:
    """The expanded value of an assignment; None (recorded in ``scope.cuts``) when cut."""
    try:
        return _expand(text, scope, budget=values)
    except ExpansionCut:
        scope.cuts.append((instruction, name))
        return None
    except _Invalid:
        return text  # BuildKit fails the build here; the parser's checks are the place to say so


def declare_globals(args: Iterable[Instruction], build_args: Mapping[str, str], escape: str = "\\") -> Scope:
    """The global ARGs' values (the scope of FROM lines), ``--build-arg`` overriding defaults."""
    args = tuple(args)
    values, cuts = _global_values(tuple(i.value_after_flags for i in args), tuple(sorted(build_args.items())), escape)
    budget = ExpansionBudget(expansion_limit(sum(len(i.raw) for i in args)))
    return Scope(values, budget, [(args[i], name) for i, name in cuts], escape)


def global_scope(dockerfile: Dockerfile) -> Scope:
    """Return the global ARGs (the scope of FROM lines), with ``--build-arg`` overrides applied."""
    return declare_globals(dockerfile.global_args, dockerfile.build_args, dockerfile.directives.escape)


# Every walk of every rule needs the global ARGs: resolving them once per file keeps a
# doubling chain of global ARGs from costing its budget again in each walk.
@functools.lru_cache(maxsize=8)
def _global_values(texts: tuple[str, ...], build_args: tuple[tuple[str, str], ...], escape: str
                   ) -> tuple[dict[str, str | None], tuple[tuple[int, str], ...]]:
    overrides = dict(build_args)
    budget = ExpansionBudget(expansion_limit(sum(len(t) for t in texts)))
    scope = Scope(budget=budget, escape=escape)
    cuts: list[tuple[int, str]] = []
    for index, text in enumerate(texts):
        for name, value in _assignments("ARG", text):
            if name in overrides:
                value = overrides[name]
            elif value is not None:
                try:
                    value = _expand(value, scope)
                except ExpansionCut:
                    value = None
                    cuts.append((index, name))
                except _Invalid:
                    pass
            scope[name] = value
    return dict(scope), tuple(cuts)


def _parent_stage(dockerfile: Dockerfile, stage: Stage) -> Stage | None:
    """Return the earlier stage this stage is built FROM, if its base is a stage alias."""
    if not stage.base.is_stage_alias:
        return None
    parent = dockerfile.stage(stage.base.resolved or stage.base.raw)
    return parent if parent is not None and parent.index < stage.index else None


def _apply(instruction: Instruction, scope: Scope, env_names: set[str], globals_: Scope,
           build_args: Mapping[str, str], values: ExpansionBudget) -> None:
    """Update ``scope`` with what an ARG or ENV instruction declares, paying from ``values``."""
    for name, value in _assignments(instruction.keyword, instruction.value_after_flags):
        if instruction.keyword == "ARG":
            if name in env_names:
                continue  # ENV always wins over an ARG of the same name
            if name in build_args:
                value = build_args[name]
            elif value is None:
                value = globals_.get(name)  # ``ARG NAME`` re-declares the global default
            else:
                value = _assigned(instruction, name, value, scope, values)
        else:
            value = _assigned(instruction, name, value, scope, values) if value is not None else None
            env_names.add(name)
        scope[name] = value


def walk(dockerfile: Dockerfile, stage: Stage, _depth: int = 0,
         _values: ExpansionBudget | None = None) -> Iterator[tuple[Instruction, Scope]]:
    """Yield each instruction of ``stage`` with the variables visible to it (before it runs).

    The scope dict is updated in place after each step: copy it to keep it.  Its ``budget``
    bounds the rules' expansions over it, as ``_values`` (shared with the walks of parent
    stages) bounds the ARG and ENV values, both linear in the text of the stage's chain.
    """
    globals_ = global_scope(dockerfile)
    limit = expansion_limit(_chain_chars(dockerfile, stage))
    values = _values if _values is not None else ExpansionBudget(limit)
    scope = Scope(budget=ExpansionBudget(limit), escape=dockerfile.directives.escape)
    env_names: set[str] = set()
    parent = _parent_stage(dockerfile, stage) if _depth < 64 else None
    if parent is not None:
        parent_scope = Scope()
        for _, parent_scope in walk(dockerfile, parent, _depth + 1, values):
            pass
        names = _env_names(dockerfile, parent)
        scope.update({k: v for k, v in parent_scope.items() if k in names})
        scope.cuts.extend(parent_scope.cuts)
        env_names.update(scope)
    for instruction in stage.instructions:
        yield instruction, scope
        if instruction.keyword in ("ARG", "ENV"):
            _apply(instruction, scope, env_names, globals_, dockerfile.build_args, values)


def _chain_chars(dockerfile: Dockerfile, stage: Stage) -> int:
    """Characters of source in ``stage`` and the stages it is based on: what a walk reads."""
    total = 0
    current: Stage | None = stage
    for _ in range(64):
        if current is None:
            break
        total += sum(len(i.raw) for i in current.instructions)
        current = _parent_stage(dockerfile, current)
    return total


def _env_names(dockerfile: Dockerfile, stage: Stage) -> set[str]:
    """Return every ENV name set in a stage or the stages it is based on."""
    names: set[str] = set()
    current: Stage | None = stage
    for _ in range(64):
        if current is None:
            break
        names.update(n for i in current.instructions if i.keyword == "ENV"
                     for n, _ in _assignments("ENV", i.value_after_flags))
        current = _parent_stage(dockerfile, current)
    return names


def scope_at(dockerfile: Dockerfile, instruction: Instruction) -> Scope:
    """Return a copy of the variables visible at ``instruction`` (global ARGs before any FROM).

    A global ARG sees the global ARGs declared before it.
    """
    if instruction.stage_index is None:
        before = [i for i in dockerfile.global_args if i.index < instruction.index]
        return declare_globals(before, dockerfile.build_args, dockerfile.directives.escape)
    stage = dockerfile.stage(instruction.stage_index)
    if stage is None:
        return Scope(escape=dockerfile.directives.escape)
    for current, scope in walk(dockerfile, stage):
        if current is instruction:
            return scope.copy()
    return Scope(escape=dockerfile.directives.escape)


def fork(scope: Mapping[str, str | None] | None, text: str) -> Scope:
    """A copy of ``scope`` to add shell variables to: its budget, else a new one for ``text``."""
    budget = getattr(scope, "budget", None) or ExpansionBudget.for_text(text)
    return Scope(scope or {}, budget, escape=getattr(scope, "escape", "\\"))
