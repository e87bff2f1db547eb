"""Resolve ARG/ENV values in scope for an instruction, and expand ``$VAR`` references.

Scope follows BuildKit: global ARGs (before the first FROM) are visible in FROM lines and,
inside a stage, only once re-declared with ``ARG NAME``; ``--build-arg`` overrides a
declared ARG's default; ENV wins over ARG; a stage built ``FROM <alias>`` inherits the
alias stage's ENV (ARGs are not inherited).  A name mapped to ``None`` is declared but has
no value: references to it stay unexpanded, so rules treat them as "unknown".
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Iterator, Mapping

from pylint_image.linter import Dockerfile, Instruction, Stage

Scope = dict[str, "str | None"]

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
    scope: Scope = {}
    for instruction in dockerfile.global_args:
        for name, value in parse_assignments(instruction):
            if name in dockerfile.build_args:
                value = dockerfile.build_args[name]
            elif value is not None:
                value = expand(value, scope)
            scope[name] = value
    return scope


def _parent_stage(dockerfile: Dockerfile, stage: Stage) -> Stage | None:
    """Return the earlier stage this stage is built FROM, if its base is a stage alias."""
    if not stage.base.is_stage_alias:
        return None
    parent = dockerfile.stage(stage.base.resolved or stage.base.raw)
    return parent if parent is not None and parent.index < stage.index else None


def _apply(instruction: Instruction, scope: Scope, env_names: set[str], globals_: Scope,
           build_args: Mapping[str, str]) -> None:
    """Update ``scope`` with what an ARG or ENV instruction declares."""
    for name, value in parse_assignments(instruction):
        if instruction.keyword == "ARG":
            if name in env_names:
                continue  # ENV always wins over an ARG of the same name
            if name in build_args:
                value = build_args[name]
            elif value is None:
                value = globals_.get(name)  # ``ARG NAME`` re-declares the global default
            else:
                value = expand(value, scope)
        else:
            value = expand(value, scope) if value is not None else None
            env_names.add(name)
        scope[name] = value


def walk(dockerfile: Dockerfile, stage: Stage, _depth: int = 0) -> Iterator[tuple[Instruction, Scope]]:
    """Yield each instruction of ``stage`` with the variables visible to it.

    The scope dict is updated in place after each step: copy it to keep it.
    """
    globals_ = global_scope(dockerfile)
    scope: Scope = {}
    env_names: set[str] = set()
    parent = _parent_stage(dockerfile, stage) if _depth < 64 else None
    if parent is not None:
        parent_scope: Scope = {}
        for _, parent_scope in walk(dockerfile, parent, _depth + 1):
            pass
        names = _env_names(dockerfile, parent)
        scope.update({k: v for k, v in parent_scope.items() if k in names})
        env_names.update(scope)
    for instruction in stage.instructions:
        yield instruction, scope
        if instruction.keyword in ("ARG", "ENV"):
            _apply(instruction, scope, env_names, globals_, dockerfile.build_args)


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
            return dict(scope)
    return {}


def expand(text: str, scope: Mapping[str, str | None]) -> str:
    """Expand ``$X``, ``${X}``, ``${X:-d}``, ``${X-d}``, ``${X:+a}``; unknown references stay as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("bare")
        value = scope.get(name)
        op, word = match.group("op"), match.group("word") or ""
        if op in (":-", "-"):
            if value is None or (op == ":-" and value == ""):
                return expand(word, scope)  # the default is the value we judge
            return value
        if op in (":+", "+"):
            if value is None:
                return match.group(0)  # unknown: cannot tell whether the alternative applies
            return expand(word, scope) if (value or op == "+") else ""
        return match.group(0) if value is None else value

    return _REF_RE.sub(replace, text)


def has_variables(text: str) -> bool:
    """True when ``text`` still contains a ``$NAME`` or ``${...}`` reference."""
    return _REF_RE.search(text) is not None
