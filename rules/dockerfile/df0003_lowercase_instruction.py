"""## What it does
Flags an instruction keyword not written in capitals (`run`, `From`, `copy`), including
the trigger of an `ONBUILD`.  Only keywords are judged, not `AS` or arguments.

## Why is this bad?
Dockerfile keywords are case-insensitive, but the convention of every reference and of
this project is capitals, which set instructions apart from their arguments at a glance;
mixed casing in one file reads as carelessness.  Severity STYLE: no effect on the build.

## Example
```dockerfile
from alpine:3.20
run echo hello
```

## Use instead
```dockerfile
FROM alpine:3.20
RUN echo hello
```

## Fix
Safe: upper-cases the keyword in place.

## References
- https://docs.docker.com/reference/dockerfile/#format
- https://docs.docker.com/reference/build-checks/consistent-instruction-casing/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Edit, Fix, Instruction, RuleMeta, Severity, Target, Violation, rule


def _judge(instruction: Instruction, anchor: Instruction) -> Violation | None:
    """Return a violation when ``instruction``'s keyword is not upper-case (anchored at ``anchor``)."""
    written = instruction.keyword_as_written
    if written == written.upper():
        return None
    span = instruction.keyword_span
    fix = Fix(f"Write {written.upper()}", (Edit(span, written.upper()),), safe=True)
    where = span if span.start_line == anchor.span.start_line else anchor.keyword_span
    return Violation(where, f"instruction '{written}' should be written in capitals: {written.upper()}", fix=fix)


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per keyword (and ONBUILD trigger keyword) not in capitals."""
    for instruction in dockerfile.instructions():
        for current in (instruction, instruction.onbuild):
            if current is not None and (found := _judge(current, instruction)) is not None:
                yield found


RULE = rule(
    meta=RuleMeta(
        code="DF0003", name="lowercase-instruction", severity=Severity.STYLE, target=Target.DOCKERFILE,
        summary="Instruction keyword not written in capitals", fix_title="Write the keyword in capitals",
        fixable=True,
        tags=frozenset({"style"}), aliases=("ConsistentInstructionCasing",),
    ),
    check=check,
)
