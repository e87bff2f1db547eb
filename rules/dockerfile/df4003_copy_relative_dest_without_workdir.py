"""## What it does
Flags a `COPY` to a relative destination (`app/`, `.`) in a stage that has not set a
`WORKDIR` yet, neither itself nor in the stages it is built `FROM`.  Absolute
destinations, Windows drive paths and destinations starting with a variable are not judged.

## Why is this bad?
A relative destination is resolved against the working directory, which is whatever the
base image left behind (often `/`).  The files land somewhere the Dockerfile never says,
and a base image update can move them.  Severity WARNING: the build works, but the
layout depends on a value the reader cannot see.

## Example
```dockerfile
FROM node:22-alpine
COPY package.json .
```

## Use instead
```dockerfile
FROM node:22-alpine
WORKDIR /app
COPY package.json .
```

## References
- https://docs.docker.com/reference/dockerfile/#workdir
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.copying import operands, unquote
from pylint_image.rules._shared.images import stage_chain

_ABSOLUTE = re.compile(r"^(?:/|\$|[A-Za-z]:[\\/])")


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per relative COPY destination before any WORKDIR."""
    for stage in dockerfile.stages:
        # A WORKDIR in a stage this one is built FROM carries over.
        inherited = any(i.keyword == "WORKDIR" for parent in list(stage_chain(dockerfile, stage))[1:]
                        for i in parent.instructions)
        workdir = inherited
        for instruction in stage.instructions:
            if instruction.keyword == "WORKDIR":
                workdir = True
            # ONBUILD triggers run in a child build whose WORKDIR we cannot see: not judged.
            if instruction.keyword != "COPY" or workdir:
                continue
            _, dest = operands(instruction)
            # A leading quote is dropped first: '"$APP"/bin' starts with a variable.
            if dest is not None and not _ABSOLUTE.match(dest.text.lstrip("\"'")):
                yield Violation(anchor(instruction, dest.span),
                                f"COPY to relative '{unquote(dest.text)}' with no WORKDIR set: "
                                "set WORKDIR or use an absolute path")


RULE = rule(
    meta=RuleMeta(
        code="DF4003", name="copy-relative-dest-without-workdir", severity=Severity.WARNING,
        target=Target.DOCKERFILE, summary="COPY to a relative destination before any WORKDIR",
        fix_title="Set WORKDIR first, or copy to an absolute path",
        tags=frozenset({"best-practice"}), aliases=("DL3045",),
    ),
    check=check,
)
