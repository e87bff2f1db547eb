"""## What it does
Flags `EXPOSE 22` (alone, in a range, or with `/tcp`), after ARG/ENV resolution.

## Why is this bad?
An SSH server in a container is a second way in that bypasses `docker exec` and the
orchestrator's access control, needs its own keys and patching, and usually means the
container runs several services.  Severity WARNING: a hardening gap, not a defect.

## Example
```dockerfile
FROM ubuntu:24.04
EXPOSE 22 80
```

## Use instead
```dockerfile
FROM ubuntu:24.04
EXPOSE 80
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.variables import expand, walk

_ENTRY = re.compile(r"^(\d+)(?:-(\d+))?(?:/(\w+))?$")


def _covers_ssh(entry: str) -> bool:
    match = _ENTRY.match(entry)
    if match is None or (match.group(3) or "tcp").lower() != "tcp":
        return False
    start, end = int(match.group(1)), int(match.group(2) or match.group(1))
    return start <= 22 <= end


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per EXPOSE entry that includes TCP port 22."""
    for stage in dockerfile.stages:
        # Resolving the scope is the costly part: only stages with a EXPOSE need it.
        if not any(i.keyword == "EXPOSE" for i in stage.instructions):
            continue
        for instruction, scope in walk(dockerfile, stage):
            if instruction.keyword != "EXPOSE":
                continue
            for arg in instruction.args:
                if any(_covers_ssh(e) for e in expand(arg.text.strip("\"'"), scope).split()):
                    yield Violation(anchor(instruction, arg.span), "port 22 (SSH) is exposed: use docker exec "
                                                                   "instead of an SSH server in the container")


RULE = rule(
    meta=RuleMeta(
        code="DF3011", name="exposed-ssh-port", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="EXPOSE includes port 22 (SSH)", fix_title="Remove the SSH port; use docker exec",
        tags=frozenset({"security"}), aliases=("DS004", "CKV_DOCKER_1"),
    ),
    check=check,
)
