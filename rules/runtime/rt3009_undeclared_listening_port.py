"""## What it does
Flags a port the running container listens on (TCP or UDP, on a non-loopback address)
that the image does not `EXPOSE`.  Loopback-only listeners are internal by construction
and are not flagged.

## Why is this bad?
`EXPOSE` is the image's documentation of its interface: tooling (`docker run -P`,
compose, scanners) relies on it.  An undeclared port is often the port the service
really uses while `EXPOSE` names another.  Severity INFO: the image works, its
documentation does not.

## Example
```dockerfile
FROM busybox
CMD ["httpd", "-f", "-p", "8080"]
```

## Use instead
```dockerfile
FROM busybox
EXPOSE 8080
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
    """Yield a violation per undeclared, externally reachable listener."""
    for port in run.ports or ():
        if not port.declared and not port.loopback_only:
            yield Violation(RuntimeLocation(run.image, "ports", run.source("expose", "entrypoint")),
                            f"the container listens on {port.label} ({', '.join(port.addresses)}) "
                            "but the image does not EXPOSE it")


RULE = rule(
    meta=RuleMeta(
        code="RT3009", name="undeclared-listening-port", severity=Severity.INFO, target=Target.RUNTIME,
        summary="The container listens on a port the image does not EXPOSE",
        fix_title="Add EXPOSE for the port", needs=Needs(probes=("ports",)),
    ),
    check=check,
)
