"""Resolve ARG/ENV values in scope for an instruction, and expand ``$VAR`` references.

Scope follows BuildKit: global ARGs (before the first FROM) are visible in FROM lines and,
inside a stage, only once re-declared with ``ARG NAME``; ``--build-arg`` overrides a
declared ARG's default; ENV wins over ARG; a stage built ``FROM <alias>`` inherits the
alias stage's ENV (ARGs are not inherited).  A name mapped to ``None`` is declared but has
no value: references to it stay unexpanded, so rules treat them as "unknown".

Expansion is bounded (``ExpansionBudget``): a value whose expansion would overrun the budget
of the pass that builds the scope is declared without a value (``None``) and recorded in
``Scope.cuts``; an ``expand`` call the scope's budget cannot pay for returns its text as
written.  Both budgets are linear in the text the pass reads.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Iterator, Mapping

from pylint_image.linter import Dockerfile, ExpansionBudget, ExpansionCut, Instruction, Stage, expansion_limit


class Scope(dict[str, "str | None"]):
    """Variables in scope, the budget of the expansions made with them, and what was cut.

    ``budget`` is shared by every ``expand`` over this scope (and its copies); ``cuts`` lists
    the ``(instruction, name)`` assignments left without a value because expanding them
    would have overrun the budget of the pass that built the scope.
    """

    __slots__ = ("budget", "cuts")

    def __init__(self, values: Mapping[str, str | None] | None = None, budget: ExpansionBudget | None = None,
                 cuts: list[tuple[Instruction, str]] | None = None) -> None:
        super().__init__(values or {})
        self.budget = budget if budget is not None else ExpansionBudget(expansion_limit(0))
        self.cuts = cuts if cuts is not None else []

    def copy(self) -> Scope:
        """A copy sharing the budget and the cut list."""
        return Scope(self, self.budget, self.cuts)


def fork(scope: Mapping[str, str | None] | None, text: str) -> Scope:
    """A copy of ``scope`` to add shell variables to: its budget, else a new one for ``text``."""
    budget = getattr(scope, "budget", None) or ExpansionBudget.for_text(text)
    return Scope(scope or {}, budget)

_REF_RE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-+])?(?P<word>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def _split_words(text: str) -> list[str]:
    """Split an ARG/ENV value list like a shell would (quotes removed); never raises."""
    try:
        return shlex.split(text, posix=True)
    except ValueError:  # unbalanced quote: BuildKit would reject it; fall back to spaces
        return text.split()


def parse_assignments(instruction: Instruction) -> list[tuple[str, str | None]]:
    """Return ``(name, value)`` pairs of an ARG or ENV instruction (value None: no default)."""
    return list(_assignments(instruction.keyword, instruction.value_after_flags))


# Every rule that resolves variables walks the ARG/ENV instructions again; memoizing this
# pure function of the text keeps shlex (the costliest step) to once per distinct line.
@functools.lru_cache(maxsize=4096)
def _assignments(keyword: str, text: str) -> tuple[tuple[str, str | None], ...]:
    words = _split_words(text)
    if keyword == "ENV" and words and "=" not in words[0]:
        # legacy form ``ENV NAME value with spaces``
        return ((words[0], " ".join(words[1:])),)
    pairs: list[tuple[str, str | None]] = []
    for word in words:
        name, sep, value = word.partition("=")
        pairs.append((name, value if sep else None))
    return tuple(pairs)


def global_scope(dockerfile: Dockerfile) -> Scope:
    """Return the global ARGs (the scope of FROM lines), with ``--build-arg`` overrides applied."""
    texts = tuple(i.value_after_flags for i in dockerfile.global_args)
    values, cuts = _global_values(texts, tuple(sorted(dockerfile.build_args.items())))
    budget = ExpansionBudget(expansion_limit(sum(len(i.raw) for i in dockerfile.global_args)))
    return Scope(values, budget, [(dockerfile.global_args[i], name) for i, name in cuts])


# Every walk of every rule needs the global ARGs: resolving them once per file keeps a
# doubling chain of global ARGs from costing its budget again in each walk.
@functools.lru_cache(maxsize=8)
def _global_values(texts: tuple[str, ...], build_args: tuple[tuple[str, str], ...]
                   ) -> tuple[dict[str, str | None], tuple[tuple[int, str], ...]]:
    overrides = dict(build_args)
    budget = ExpansionBudget(expansion_limit(sum(len(t) for t in texts)))
    scope: Scope = Scope(budget=budget)
    cuts: list[tuple[int, str]] = []
    for index, text in enumerate(texts):
        for name, value in _assignments("ARG", text):
            if name in overrides:
                value = overrides[name]
            elif value is not None:
                value = _bounded(value, scope, budget)
                if value is None:
                    cuts.append((index, name))
            scope[name] = value
    return dict(scope), tuple(cuts)


def _bounded(text: str, scope: Mapping[str, str | None], budget: ExpansionBudget) -> str | None:
    """``text`` expanded, or None when the expansion would overrun ``budget``."""
    try:
        return _expand(text, scope, budget)
    except ExpansionCut:
        return None


def _parent_stage(dockerfile: Dockerfile, stage: Stage) -> Stage | None:
    """Return the earlier stage this stage is built FROM, if its base is a stage alias."""
    if not stage.base.is_stage_alias:
        return None
    parent = dockerfile.stage(stage.base.resolved or stage.base.raw)
    return parent if parent is not None and parent.index < stage.index else None


def _apply(instruction: Instruction, scope: Scope, env_names: set[str], globals_: Scope,
           build_args: Mapping[str, str], values: ExpansionBudget) -> None:
    """Update ``scope`` with what an ARG or ENV instruction declares, paying from ``values``."""
    for name, value in parse_assignments(instruction):
        if instruction.keyword == "ARG":
            if name in env_names:
                continue  # ENV always wins over an ARG of the same name
            if name in build_args:
                value = build_args[name]
            elif value is None:
                value = globals_.get(name)  # ``ARG NAME`` re-declares the global default
            else:
                value = _declared(instruction, name, value, scope, values)
        else:
            value = _declared(instruction, name, value, scope, values) if value is not None else None
            env_names.add(name)
        scope[name] = value


def _declared(instruction: Instruction, name: str, text: str, scope: Scope, values: ExpansionBudget) -> str | None:
    """The expanded value of an assignment; None (recorded in ``scope.cuts``) when cut."""
    value = _bounded(text, scope, values)
    if value is None:
        scope.cuts.append((instruction, name))
    return value


def walk(dockerfile: Dockerfile, stage: Stage, _depth: int = 0,
         _values: ExpansionBudget | None = None) -> Iterator[tuple[Instruction, Scope]]:
    """Yield each instruction of ``stage`` with the variables visible to it.

    The scope dict is updated in place after each step: copy it to keep it.  Its ``budget``
    bounds the rules' expansions over it, as ``_values`` (shared with the walks of parent
    stages) bounds the ARG and ENV values, both linear in the text of the stage's chain.
    """
    globals_ = global_scope(dockerfile)
    limit = expansion_limit(_chain_chars(dockerfile, stage))
    values = _values if _values is not None else ExpansionBudget(limit)
    scope = Scope(budget=ExpansionBudget(limit))
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
        names.update(n for i in current.instructions if i.keyword == "ENV" for n, _ in parse_assignments(i))
        current = _parent_stage(dockerfile, current)
    return names


def scope_at(dockerfile: Dockerfile, instruction: Instruction) -> Scope:
    """Return a copy of the variables visible at ``instruction`` (global ARGs before any FROM)."""
    stage = dockerfile.stage(instruction.stage_index) if instruction.stage_index is not None else None
    if stage is None:
        return global_scope(dockerfile)
    for current, scope in walk(dockerfile, stage):
        if current is instruction:
            return scope.copy()
    return Scope()


def expand(text: str, scope: Mapping[str, str | None]) -> str:
    """Expand ``$X``, ``${X}``, ``${X:-d}``, ``${X-d}``, ``${X:+a}``; unknown references stay as written.

    So does all of ``text`` when the expansion would overrun the scope's budget (a plain
    mapping gets a budget of its own, linear in ``text``).
    """
    if "$" not in text:
        return text
    budget = getattr(scope, "budget", None) or ExpansionBudget.for_text(text)
    try:
        return _expand(text, scope, budget)
    except ExpansionCut:
        return text


def _expand(text: str, scope: Mapping[str, str | None], budget: ExpansionBudget) -> str:
    """Expand ``text``, charging every value substituted to ``budget`` (raises ExpansionCut)."""

    def paid(value: str) -> str:
        budget.charge(len(value))
        return value

    def replace(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("bare")
        value = scope.get(name)
        op, word = match.group("op"), match.group("word") or ""
        if op in (":-", "-"):
            if value is None or (op == ":-" and value == ""):
                return _expand(word, scope, budget)  # the default is the value we judge
            return paid(value)
        if op in (":+", "+"):
            if value is None:
                return match.group(0)  # unknown: cannot tell whether the alternative applies
            return _expand(word, scope, budget) if (value or op == "+") else ""
        return match.group(0) if value is None else paid(value)

    return _REF_RE.sub(replace, text)


def has_variables(text: str) -> bool:
    """True when ``text`` still contains a ``$NAME`` or ``${...}`` reference."""
    return _REF_RE.search(text) is not None
