"""## What it does
Flags the deprecated `MAINTAINER` instruction.

## Why is this bad?
`MAINTAINER` was deprecated in Docker 1.13 in favour of labels: its value is only kept in
the image's `Author` field, which tools no longer read, while a `maintainer` (or
`org.opencontainers.image.authors`) label is visible to `docker inspect` and registries.
Severity STYLE: no effect on the build.

## Example
```dockerfile
FROM alpine:3.20
MAINTAINER Jane Doe <jane@example.com>
```

## Use instead
```dockerfile
FROM alpine:3.20
LABEL maintainer="Jane Doe <jane@example.com>"
```

## Fix
Safe: rewrites the instruction as `LABEL maintainer="..."` with the same text (quotes,
backslashes and `$` escaped, since LABEL expands variables and MAINTAINER does not).

## References
- https://docs.docker.com/reference/dockerfile/#maintainer-deprecated
- https://docs.docker.com/reference/build-checks/maintainer-deprecated/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Edit, Fix, Instruction, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.buildkit import skipped


def _fix(instruction: Instruction) -> Fix | None:
    """Return the LABEL rewrite, or None when the instruction spans several lines."""
    if not instruction.span.single_line:
        return None  # a continuation may carry comments: leave the rewrite to a human
    value = instruction.value.strip()
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return Fix("Rewrite as LABEL maintainer=...", (Edit(instruction.span, f'LABEL maintainer="{escaped}"'),),
               safe=True)


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per MAINTAINER instruction."""
    if skipped(dockerfile, "MaintainerDeprecated"):
        return
    for instruction in dockerfile.instructions():
        if instruction.keyword == "MAINTAINER":
            yield Violation(instruction.keyword_span, "MAINTAINER is deprecated: use LABEL maintainer=\"...\"",
                            fix=_fix(instruction))


RULE = rule(
    meta=RuleMeta(
        code="DF3004", name="maintainer-instruction", severity=Severity.STYLE, target=Target.DOCKERFILE,
        summary="Deprecated MAINTAINER instruction", fix_title="Replace with LABEL maintainer=\"...\"",
        fixable=True,
        tags=frozenset({"style", "deprecated"}), aliases=("DL4000", "MaintainerDeprecated", "DS022", "CKV_DOCKER_6"),
    ),
    check=check,
)
