"""ARG/ENV variable resolution: BuildKit's ``$VAR`` / ``${VAR:-default}`` expansion and scoping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..expansion import MAX_NESTING, ExpansionBudget, ExpansionCut, expansion_limit
from .buildkit_words import split_words, unquote

if TYPE_CHECKING:
    from ..model.dockerfile import Dockerfile, Instruction

_NAME_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_NAME_CHARS = _NAME_START + "0123456789"


def resolve_vars(text: str, scope: Mapping[str, str], budget: ExpansionBudget | None = None) -> str:
    """Expand ``$VAR``, ``${VAR}``, ``${VAR:-d}``, ``${VAR-d}``, ``${VAR:+x}``, ``${VAR+x}``.

    Variables missing from ``scope`` are left as written (so callers can tell that something
    stayed unresolved), except where a ``-``/``+`` modifier decides the result without them.
    ``budget`` bounds what substitution may add (the expansions of one pass share one); an
    expansion it cannot pay for is returned as written, as is nesting past MAX_NESTING.
    """
    if "$" not in text:
        return text
    try:
        return _resolve(text, scope, budget or ExpansionBudget.for_text(text), 0)
    except ExpansionCut:
        return text


def _resolve(text: str, scope: Mapping[str, str], budget: ExpansionBudget, depth: int) -> str:
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] == "$":
            out.append("\\$")
            i += 2
            continue
        if ch != "$" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "{":
            close = _matching_brace(text, i + 2)
            if close < 0:
                out.append(text[i:])
                break
            out.append(_expand_braced(text[i + 2 : close], text[i : close + 1], scope, budget, depth))
            i = close + 1
        elif nxt in _NAME_START:
            j = i + 1
            while j < n and text[j] in _NAME_CHARS:
                j += 1
            out.append(_value(text[i + 1 : j], scope, budget) if text[i + 1 : j] in scope else text[i:j])
            i = j
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _value(name: str, scope: Mapping[str, str], budget: ExpansionBudget) -> str:
    """The value of ``name``, paid for before it is used (raises ExpansionCut when it cannot be)."""
    value = scope[name]
    budget.charge(len(value))
    return value


def _matching_brace(text: str, start: int) -> int:
    depth = 1
    for j in range(start, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _expand_braced(inner: str, whole: str, scope: Mapping[str, str], budget: ExpansionBudget, depth: int) -> str:
    j = 0
    while j < len(inner) and inner[j] in _NAME_CHARS:
        j += 1
    name, op = inner[:j], inner[j:]
    if not name or depth >= MAX_NESTING:
        return whole
    if not op:
        return _value(name, scope, budget) if name in scope else whole
    colon = op.startswith(":")
    kind = op[1:2] if colon else op[:1]
    word = op[2:] if colon else op[1:]
    value = scope.get(name)
    is_set = value is not None and (value != "" or not colon)
    if kind == "-":
        return _value(name, scope, budget) if is_set else _resolve(word, scope, budget, depth + 1)
    if kind == "+":
        return _resolve(word, scope, budget, depth + 1) if is_set else ""
    if kind == "?":
        return _value(name, scope, budget) if is_set else whole
    return whole


def parse_assignments(keyword: str, rest: str) -> list[tuple[str, str | None]]:
    """Return ``(name, value or None)`` pairs of an ARG or ENV argument text (quotes removed)."""
    words = [w for _, _, w in split_words(rest)]
    if not words:
        return []
    if keyword == "ENV" and "=" not in words[0]:
        name, _, value = rest.strip().partition(" ")
        return [(name, unquote(value.strip()))]
    pairs: list[tuple[str, str | None]] = []
    for w in words:
        name, eq, value = w.partition("=")
        pairs.append((name, unquote(value) if eq else None))
    return pairs


def global_scope(dockerfile: Dockerfile) -> dict[str, str]:
    """Values of the global ARGs (before the first FROM), ``build_args`` overriding defaults."""
    return _declare(dockerfile.global_args, {}, dockerfile.build_args, {}, file_budget(dockerfile.text))


def file_budget(text: str) -> ExpansionBudget:
    """The expansion budget of one pass over a whole file."""
    return ExpansionBudget(expansion_limit(len(text)))


def _declare(
    args: tuple[Instruction, ...] | list[Instruction],
    scope: dict[str, str],
    build_args: Mapping[str, str],
    globals_: Mapping[str, str],
    budget: ExpansionBudget,
) -> dict[str, str]:
    for ins in args:
        for name, default in parse_assignments("ARG", ins.value_after_flags):
            if name in build_args:
                scope[name] = build_args[name]
            elif default is not None:
                scope[name] = resolve_vars(default, scope, budget)
            elif name in globals_:
                scope[name] = globals_[name]
    return scope


def variables_at(dockerfile: Dockerfile, instruction: Instruction) -> dict[str, str]:
    """ARG and ENV values visible to ``instruction`` within its stage.

    Global ARGs are visible inside a stage only after ``ARG NAME`` re-declares them; stage
    ARGs and ENVs accumulate in order; ``build_args`` override ARG defaults.
    """
    globals_ = global_scope(dockerfile)
    budget = file_budget(dockerfile.text)
    if instruction.stage_index is None:
        scope: dict[str, str] = {}
        before = [g for g in dockerfile.global_args if g.index < instruction.index]
        return _declare(before, scope, dockerfile.build_args, {}, budget)
    stage = dockerfile.stages[instruction.stage_index]
    args: dict[str, str] = {}
    env: dict[str, str] = {}
    for ins in stage.instructions[1:]:
        if ins.index >= instruction.index:
            break
        if ins.keyword == "ARG":
            _declare([ins], args, dockerfile.build_args, globals_, budget)
        elif ins.keyword == "ENV":
            current = {**args, **env}
            for name, value in parse_assignments("ENV", ins.value_after_flags):
                env[name] = resolve_vars(value or "", current, budget)
                current[name] = env[name]
    return {**args, **env}
