"""## What it does
Flags `FROM --platform=$TARGETPLATFORM` (or `${TARGETPLATFORM}`).

## Why is this bad?
The target platform is already the default of every `FROM`, so the flag only adds
noise, and suggests the author meant `$BUILDPLATFORM` (run this stage natively on the
build machine).  Severity STYLE: no effect on the build.

## Example
```dockerfile
FROM --platform=$TARGETPLATFORM alpine:3.20
```

## Use instead
```dockerfile
FROM alpine:3.20
```

## References
- https://docs.docker.com/reference/build-checks/redundant-target-platform/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.buildkit import skipped

_TARGET = frozenset({"$TARGETPLATFORM", "${TARGETPLATFORM}"})


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per FROM whose --platform is the target platform."""
    if skipped(dockerfile, "RedundantTargetPlatform"):
        return
    for stage in dockerfile.stages:
        for flag in stage.from_instruction.flags:
            if flag.name == "platform" and (flag.value or "").strip("\"'") in _TARGET:
                yield Violation(flag.span, "--platform=$TARGETPLATFORM is the default: drop it")


RULE = rule(
    meta=RuleMeta(
        code="DF1004", name="redundant-target-platform", severity=Severity.STYLE, target=Target.DOCKERFILE,
        summary="FROM --platform set to the default $TARGETPLATFORM", fix_title="Drop the --platform flag",
        tags=frozenset({"style"}), aliases=("DL3065", "RedundantTargetPlatform"),
    ),
    check=check,
)
