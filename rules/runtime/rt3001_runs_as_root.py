"""## What it does
Flags an image whose entrypoint process runs as uid 0 inside the container, as read from
`/proc/<pid>/status` of the container's PID 1 once it is up (after any `gosu`/`su-exec`
step-down, which is judged by what it leads to).

This is the runtime counterpart of `DF3002` and `IM3004` (the same name judges the
Dockerfile's `USER` lines and the image config; selecting or ignoring `runs-as-root`
covers all three).  It also catches a `USER` inherited from a base image and numeric users that map to 0.

## Why is this bad?
A root process in a container is root on the host kernel: one escape or writable host
mount is a full compromise.  Severity WARNING, like DF3002: common, and cheap to fix.

## Example
```dockerfile
FROM busybox
CMD ["httpd", "-f", "-p", "8080"]
```

## Use instead
```dockerfile
FROM busybox
USER 65534:65534
CMD ["httpd", "-f", "-p", "8080"]
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import Context, Needs, RuleMeta, RuntimeLocation, Severity, Target, Violation, rule

if TYPE_CHECKING:
    from pylint_image.linter import RuntimeRun


def check(run: RuntimeRun, ctx: Context) -> Iterator[Violation]:
    """Yield a violation when PID 1 was seen running as uid 0."""
    if run.uid_seen != 0:
        return
    user = f" (USER {run.user})" if run.user else " (no USER: the default is root)"
    yield Violation(RuntimeLocation(run.image, "user", run.source("user")),
                    f"the entrypoint runs as uid 0 in the container{user}: switch to a non-root USER")


RULE = rule(
    meta=RuleMeta(
        code="RT3001", name="runs-as-root", severity=Severity.WARNING, target=Target.RUNTIME,
        summary="The entrypoint process runs as root inside the container",
        fix_title="Add a non-root USER (or drop privileges in the entrypoint)",
        tags=frozenset({"security", "external/cwe/cwe-250"}), needs=Needs(probes=("user",)),
    ),
    check=check,
)
