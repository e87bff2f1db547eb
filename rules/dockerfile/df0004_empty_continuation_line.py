r"""## What it does
Flags an instruction continued with `\` across an empty line: the blank line sits
inside the instruction, so the instruction carries on after it.  Heredoc bodies are not
judged.

## Why is this bad?
The blank line looks like the end of the instruction, so a reader takes the next lines
for a new one; BuildKit warns that empty continuation lines will become errors.
Severity WARNING: a future BuildKit will refuse the file.

## Example
```dockerfile
FROM alpine:3.20
RUN apk add --no-cache \

    curl
```

## Use instead
```dockerfile
FROM alpine:3.20
RUN apk add --no-cache \
    curl
```

## References
- https://docs.docker.com/reference/build-checks/no-empty-continuation/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.buildkit import skipped


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per instruction with an empty line inside its continuation."""
    if skipped(dockerfile, "NoEmptyContinuation"):
        return
    for instruction in dockerfile.instructions():
        span = instruction.span
        if span.single_line:
            continue
        in_heredoc = {n for h in instruction.heredocs for n in range(h.span.start_line, h.span.end_line + 1)}
        first_body = min(in_heredoc, default=span.end_line + 1)
        # Only lines before the first heredoc body are continuation lines of the instruction.
        blank = [n for n in range(span.start_line + 1, min(span.end_line, first_body - 1) + 1)
                 if not dockerfile.line(n).strip()]
        if blank:
            yield Violation(instruction.keyword_span,
                            f"empty line {blank[0]} inside a continued {instruction.keyword}: remove it")


RULE = rule(
    meta=RuleMeta(
        code="DF0004", name="empty-continuation-line", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="Empty line inside a continued instruction", fix_title="Remove the empty line",
        tags=frozenset({"style", "correctness"}), aliases=("NoEmptyContinuation",),
    ),
    check=check,
)
