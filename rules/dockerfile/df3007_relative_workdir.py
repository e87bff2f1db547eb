"""## What it does
Flags a relative `WORKDIR` (`WORKDIR app`) when no absolute `WORKDIR` came before it in
the stage or in the stages it is built `FROM`.  Paths starting with a variable or a
Windows drive are not judged.

## Why is this bad?
A relative `WORKDIR` is resolved against the working directory of the base image,
which the Dockerfile does not show and a base image update may change.  After an
absolute `WORKDIR`, a relative one is well defined.
Severity WARNING: the build works, but where files go depends on an unseen value.

## Example
```dockerfile
FROM alpine:3.20
WORKDIR app
```

## Use instead
```dockerfile
FROM alpine:3.20
WORKDIR /app
WORKDIR src
```

## References
- https://docs.docker.com/reference/build-checks/workdir-relative-path/
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.buildkit import skipped
from pylint_image.rules._shared.images import stage_chain

_ABSOLUTE = re.compile(r"^(?:/|\$|[A-Za-z]:[\\/]|\\)")


def _absolute(path: str) -> bool:
    return bool(_ABSOLUTE.match(path.strip().lstrip("\"'")))


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per relative WORKDIR before any absolute one."""
    if skipped(dockerfile, "WorkdirRelativePath"):
        return
    for stage in dockerfile.stages:
        # An absolute WORKDIR in a parent stage carries over to this one.
        anchored = any(i.keyword == "WORKDIR" and _absolute(i.value_after_flags)
                       for parent in list(stage_chain(dockerfile, stage))[1:] for i in parent.instructions)
        for instruction in stage.instructions:
            if instruction.keyword != "WORKDIR":
                continue
            if _absolute(instruction.value_after_flags):
                anchored = True
            elif not anchored:
                yield Violation(instruction.keyword_span, f"relative WORKDIR '{instruction.value_after_flags.strip()}' "
                                                          "depends on the base image: use an absolute path")


RULE = rule(
    meta=RuleMeta(
        code="DF3007", name="relative-workdir", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="Relative WORKDIR with no absolute WORKDIR before it", fix_title="Use an absolute WORKDIR",
        tags=frozenset({"best-practice"}), aliases=("DL3000", "WorkdirRelativePath", "DS009", "CKV_DOCKER_10"),
    ),
    check=check,
)
