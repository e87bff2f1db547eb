"""## What it does
Flags a `FROM ... AS name` whose name (compared case-insensitively, as BuildKit does) was
already given to an earlier stage.

## Why is this bad?
`COPY --from=name`, `FROM name` and `--target name` resolve to one of the stages only, so
the other is silently unreachable by name and a reader cannot tell which one is meant.
Severity ERROR: current BuildKit refuses the build.

## Example
```dockerfile
FROM golang:1.23 AS build
FROM node:22 AS Build
```

## Use instead
```dockerfile
FROM golang:1.23 AS build-go
FROM node:22 AS build-web
```

## References
- https://docs.docker.com/reference/build-checks/duplicate-stage-name/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.buildkit import skipped
from pylint_image.rules._shared.stages import stage_names


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per stage name already used by an earlier stage."""
    if skipped(dockerfile, "DuplicateStageName"):
        return
    first: dict[str, int] = {}
    for named in stage_names(dockerfile):
        key = named.name.text.lower()
        if key in first:
            yield Violation(named.name.span, f"stage name '{named.name.text}' is already used by the "
                                             f"stage at line {first[key]}")
        else:
            first[key] = named.instruction.line


RULE = rule(
    meta=RuleMeta(
        code="DF1005", name="duplicate-stage-name", severity=Severity.ERROR, target=Target.DOCKERFILE,
        summary="Two stages share one name", fix_title="Give each stage a unique name",
        tags=frozenset({"correctness"}), aliases=("DL3024", "DuplicateStageName", "DS012", "CKV_DOCKER_11"),
    ),
    check=check,
)
