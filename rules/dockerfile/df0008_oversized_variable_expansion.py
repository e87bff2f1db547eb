"""## What it does
Flags an `ARG` or `ENV` whose value, once its `$VAR` references are expanded, would grow
past what the linter expands in one pass: 64 KiB plus 16 characters per character of the
stage (the global `ARG`s have a budget of their own).  Typically a variable built by
doubling another: `ARG A1=${A0}${A0}` repeated 40 times asks for 10 TB.  The linter leaves
such a value unexpanded, so every other rule treats it as unknown, and this finding names
what was cut.

## Why is this bad?
BuildKit expands the value in full: a doubling chain exhausts the builder's memory, and a
value longer than 128 KiB that reaches a `RUN`'s environment makes `execve` fail with
"argument list too long" (Linux's `MAX_ARG_STRLEN`).  Severity WARNING: a value just past
the budget may still build, but nothing that depends on it was checked.

## Example
```dockerfile
FROM alpine:3.20
ARG A=xxxxxxxx
ARG B=$A$A$A$A$A$A$A$A
ARG C=$B$B$B$B$B$B$B$B
ARG D=$C$C$C$C$C$C$C$C
ARG E=$D$D$D$D$D$D$D$D
ARG F=$E$E$E$E$E$E$E$E
RUN echo "$F" > /tmp/payload
```

## Use instead
```dockerfile
FROM alpine:3.20
COPY payload /tmp/payload
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Instruction, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.variables import Scope, global_scope, walk


def _scopes(dockerfile: Dockerfile) -> Iterator[Scope]:
    """The global scope and each stage's final scope, for stages whose ARG/ENV expand something."""
    yield global_scope(dockerfile)
    for stage in dockerfile.stages:
        if not any(i.keyword in ("ARG", "ENV") and "$" in i.value for i in stage.instructions):
            continue  # nothing to expand here; cuts in a parent stage are reported by its own walk
        scope = Scope()
        for _, scope in walk(dockerfile, stage):
            pass
        yield scope


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per ARG or ENV instruction whose expansion was cut."""
    cut: dict[int, tuple[Instruction, list[str]]] = {}
    for scope in _scopes(dockerfile):
        for instruction, name in scope.cuts:
            names = cut.setdefault(instruction.index, (instruction, []))[1]
            if name not in names:
                names.append(name)
    for instruction, names in sorted(cut.values(), key=lambda c: c[0].index):
        yield Violation(instruction.keyword_span,
                        f"{instruction.keyword} {', '.join(names)}: the expanded value would exceed the linter's "
                        "expansion budget (a variable doubling itself?); it is left unexpanded, as unknown")


RULE = rule(
    meta=RuleMeta(
        code="DF0008", name="oversized-variable-expansion", severity=Severity.WARNING,
        target=Target.DOCKERFILE, summary="An ARG or ENV value expands to more text than the linter expands",
        fix_title="Keep ARG and ENV values small: COPY large data instead", tags=frozenset({"correctness"}),
    ),
    check=check,
)
