"""## What it does
Flags a stage named `scratch` or `context`, words BuildKit reserves.

## Why is this bad?
`FROM scratch` means the empty image and `context` names the build context in
`COPY --from` and named contexts, so a stage with either name is shadowed or shadows
them: `FROM scratch` later in the file no longer means what every reader expects.
Severity ERROR: the build resolves these names differently from what the file says.

## Example
```dockerfile
FROM alpine:3.20 AS scratch
RUN echo hi > /hi
```

## Use instead
```dockerfile
FROM alpine:3.20 AS base
RUN echo hi > /hi
```

## References
- https://docs.docker.com/reference/build-checks/reserved-stage-name/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.buildkit import skipped
from pylint_image.rules._shared.stages import stage_names

_RESERVED = frozenset({"scratch", "context"})


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per stage named with a reserved word."""
    if skipped(dockerfile, "ReservedStageName"):
        return
    for named in stage_names(dockerfile):
        if named.name.text.lower() in _RESERVED:
            yield Violation(named.name.span, f"'{named.name.text}' is reserved and cannot name a stage")


RULE = rule(
    meta=RuleMeta(
        code="DF1006", name="reserved-stage-name", severity=Severity.ERROR, target=Target.DOCKERFILE,
        summary="Stage named with a reserved word (scratch, context)", fix_title="Rename the stage",
        tags=frozenset({"correctness"}), aliases=("DL3063", "ReservedStageName"),
    ),
    check=check,
)
