"""## What it does
Flags a `USER` whose user part is a name (`USER app`, `USER app:app`) rather than a
numeric uid (`USER 10001:10001`).  ARG/ENV values are resolved first; a user that still
holds an unresolved variable is not judged.  Windows stages are not judged either: Windows
has no numeric uids, and `USER ContainerUser` is how a Windows image drops its rights.

## Why is this bad?
A name is resolved through the image's `/etc/passwd` at run time, so a host or
orchestrator cannot tell from the image config which uid the process runs as:
Kubernetes `runAsNonRoot` rejects such images because it cannot verify the user is not
root.  Severity INFO: a portability and policy concern, not a defect.

## Example
```dockerfile
FROM alpine:3.20
RUN adduser -D -u 10001 app
USER app
```

## Use instead
```dockerfile
FROM alpine:3.20
RUN adduser -D -u 10001 app
USER 10001:10001
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.variables import expand, has_variables, walk
from pylint_image.rules._shared.windows import is_windows_stage


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per USER naming its user instead of giving a uid."""
    for stage in dockerfile.stages:
        # Resolving the scope is the costly part: only stages with a USER need it.
        if not any(i.keyword == "USER" for i in stage.instructions):
            continue
        # Windows users are names (ContainerUser): there is no uid to give instead.
        if is_windows_stage(dockerfile, stage):
            continue
        for instruction, scope in walk(dockerfile, stage):
            if instruction.keyword != "USER" or not instruction.args:
                continue
            user = expand(instruction.args[0].text, scope).strip("\"'").split(":", 1)[0]
            # A value supplied at build time cannot be judged here.
            if has_variables(user) or user.isdigit():
                continue
            yield Violation(anchor(instruction, instruction.args[0].span),
                            f"USER '{user}' is a name: use a numeric uid so the runtime can verify it")


RULE = rule(
    meta=RuleMeta(
        code="DF3006", name="non-numeric-user", severity=Severity.INFO, target=Target.DOCKERFILE,
        summary="USER given as a name instead of a numeric uid", fix_title="Use a numeric uid[:gid]",
        tags=frozenset({"security", "portability"}), aliases=("DL3066",),
    ),
    check=check,
)
