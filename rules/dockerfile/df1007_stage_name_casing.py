"""## What it does
Flags a stage name with upper-case letters (`FROM golang AS Builder`).

## Why is this bad?
BuildKit matches stage names case-insensitively but keeps them lower-case everywhere
else (`--target`, `COPY --from`, build output), so mixed case invites two spellings of
one name in the same file.  Severity STYLE: no effect on the build.

## Example
```dockerfile
FROM golang:1.23 AS Builder
```

## Use instead
```dockerfile
FROM golang:1.23 AS builder
```

## References
- https://docs.docker.com/reference/build-checks/stage-name-casing/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.buildkit import skipped
from pylint_image.rules._shared.stages import stage_names
from pylint_image.rules._shared.variables import has_variables


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per stage name that is not lower-case."""
    if skipped(dockerfile, "StageNameCasing"):
        return
    for named in stage_names(dockerfile):
        name = named.name.text
        # A name built from a variable is cased by whoever sets it.
        if name != name.lower() and not has_variables(name):
            yield Violation(named.name.span, f"stage name '{name}' should be lower-case: '{name.lower()}'")


RULE = rule(
    meta=RuleMeta(
        code="DF1007", name="stage-name-casing", severity=Severity.STYLE, target=Target.DOCKERFILE,
        summary="Stage name is not lower-case", fix_title="Write the stage name in lower case",
        tags=frozenset({"style"}), aliases=("StageNameCasing",),
    ),
    check=check,
)
