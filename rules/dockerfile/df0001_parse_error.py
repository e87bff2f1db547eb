"""## What it does
Reports a Dockerfile that BuildKit would refuse to parse: an unknown instruction, an
unterminated heredoc, instructions before the first `FROM`, a malformed flag.

## Why is this bad?
`docker build` stops at the first parse error, so nothing after it was ever built or
checked.  Every other rule is skipped for the file, because its structure is unknown.

## Example
```dockerfile
FROM alpine:3.20
RUNN echo hello
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
    """Emit nothing: the engine produces this finding when parsing fails."""
    return iter(())


RULE = rule(
    meta=RuleMeta(
        code="DF0001", name="parse-error", severity=Severity.ERROR, target=Target.DOCKERFILE,
        summary="The Dockerfile cannot be parsed", tags=frozenset({"correctness"}),
        aliases=("DL1000", "DL3061", "DL3043"),  # both are files BuildKit refuses to parse
        exact_tool_ids=True,  # each parse error carries the one hadolint id of its kind
    ),
    check=check,
)
