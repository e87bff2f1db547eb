"""## What it does
Flags `FROM --platform=<constant>` such as `--platform=linux/amd64`.  Values built from
variables (`$BUILDPLATFORM`, `${TARGETOS}/${TARGETARCH}`) are fine, and so is a constant
on a stage whose name carries that OS or architecture (`AS build-arm64`), the pattern
of per-platform stages chosen later with `FROM build-${TARGETARCH}`.

## Why is this bad?
A constant platform pins the stage to one architecture: a multi-platform build
(`--platform linux/amd64,linux/arm64`) still pulls amd64 and either fails or runs
under emulation, silently producing the wrong binaries.
Severity WARNING: the build works on one platform and breaks or misbehaves on others.

## Example
```dockerfile
FROM --platform=linux/amd64 alpine:3.20 AS base
```

## Use instead
```dockerfile
FROM --platform=$BUILDPLATFORM alpine:3.20 AS base
```

## References
- https://docs.docker.com/reference/build-checks/from-platform-flag-const-disallowed/
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.buildkit import skipped
from pylint_image.rules._shared.variables import has_variables


def _named_for_platform(stage_name: str | None, platform: str) -> bool:
    """True when the stage name contains one of the platform's parts (os, arch, variant)."""
    if not stage_name:
        return False
    words = set(re.split(r"[^a-z0-9]+", stage_name.lower()))
    return any(part and (part in words or part in stage_name.lower()) for part in platform.lower().split("/"))


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per FROM whose --platform is a constant."""
    if skipped(dockerfile, "FromPlatformFlagConstDisallowed"):
        return
    for stage in dockerfile.stages:
        instruction = stage.from_instruction
        platform = instruction.flag("platform")
        if not platform or has_variables(platform):
            continue
        if _named_for_platform(stage.name, platform):
            continue  # a per-platform stage, selected elsewhere by a variable
        flag = next(f for f in instruction.flags if f.name == "platform")
        yield Violation(flag.span, f"FROM --platform={platform} pins the stage to one platform: "
                                   "use $BUILDPLATFORM/$TARGETPLATFORM or drop the flag")


RULE = rule(
    meta=RuleMeta(
        code="DF1003", name="constant-from-platform", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="FROM --platform set to a constant", fix_title="Use a platform variable or drop --platform",
        tags=frozenset({"portability"}), aliases=("DL3029", "FromPlatformFlagConstDisallowed"),
    ),
    check=check,
)
