"""## What it does
Flags a `FROM` that uses a variable (in the image, `--platform` or stage name) which is
neither declared by an `ARG` before the first `FROM` nor one of BuildKit's predefined
platform arguments (`BUILDPLATFORM`, `TARGETARCH`, ...).

## Why is this bad?
Only global `ARG`s are visible to `FROM`: an undeclared variable expands to an empty
string, so `FROM node:22${VARIANT}` quietly becomes `node:22`, and a misspelt
`$BUILDPLATFROM` silently drops the platform.  Severity WARNING: the build works, with a
base image other than the one written.

## Example
```dockerfile
FROM node:22${VARIANT} AS web
```

## Use instead
```dockerfile
ARG VARIANT=-alpine3.20
FROM node:22${VARIANT} AS web
```

## References
- https://docs.docker.com/reference/build-checks/undefined-arg-in-from/
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.buildkit import skipped
from pylint_image.rules._shared.variables import parse_assignments

PREDEFINED = frozenset({"BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT", "TARGETPLATFORM", "TARGETOS",
                        "TARGETARCH", "TARGETVARIANT", "TARGETSTAGE"})
_REF = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per FROM variable that no global ARG declares."""
    if skipped(dockerfile, "UndefinedArgInFrom"):
        return
    declared = {name for i in dockerfile.global_args for name, _ in parse_assignments(i)}
    declared |= set(dockerfile.build_args)
    for stage in dockerfile.stages:
        instruction = stage.from_instruction
        for name in dict.fromkeys(_REF.findall(instruction.value)):
            if name not in declared and name not in PREDEFINED:
                hint = next((p for p in PREDEFINED if sorted(p) == sorted(name.upper())), None)
                extra = f" (did you mean {hint}?)" if hint else ": declare it with ARG before the first FROM"
                yield Violation(instruction.keyword_span, f"FROM uses undeclared variable '{name}'{extra}")


RULE = rule(
    meta=RuleMeta(
        code="DF1009", name="undefined-arg-in-from", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="FROM uses a variable no global ARG declares", fix_title="Declare the ARG before the first FROM",
        tags=frozenset({"correctness"}), aliases=("UndefinedArgInFrom",),
    ),
    check=check,
)
