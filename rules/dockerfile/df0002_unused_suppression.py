"""## What it does
Reports a `# pylint-image: ignore=...` (or `# hadolint ignore=...`) pragma that suppresses
nothing, or that names a rule that does not exist.

## Why is this bad?
A stale pragma hides the next real problem on that line, and a misspelt rule name
silently suppresses nothing.  Removing dead pragmas keeps suppressions meaningful.

## Example
```dockerfile
FROM alpine:3.20
# pylint-image: ignore=unpinned-image-tag
RUN echo hello
```

## Use instead
```dockerfile
FROM alpine:3.20
RUN echo hello
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Emit nothing: the engine judges pragmas after every other rule has run."""
    return iter(())


RULE = rule(
    meta=RuleMeta(
        code="DF0002", name="unused-suppression", severity=Severity.INFO, target=Target.DOCKERFILE,
        summary="A suppression pragma suppresses nothing", tags=frozenset({"style"}),
    ),
    check=check,
)
