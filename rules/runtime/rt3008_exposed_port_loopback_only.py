"""## What it does
Flags an `EXPOSE`d port on which the service listens only on a loopback address
(`127.0.0.1` or `::1`), as read from inside the container's network namespace.  A
wildcard listener (`0.0.0.0`, or `::`, which also accepts IPv4) is fine.

## Why is this bad?
A published port arrives on the container's external interface, never on its loopback:
the service is unreachable although it "works" in `docker exec curl localhost`.  The
classic case is a development server's default bind address.  Severity ERROR.

## Example
```dockerfile
FROM python:3.12-slim
EXPOSE 8000
CMD ["python", "-m", "http.server", "--bind", "127.0.0.1", "8000"]
```

## Use instead
```dockerfile
FROM python:3.12-slim
EXPOSE 8000
CMD ["python", "-m", "http.server", "--bind", "0.0.0.0", "8000"]
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import Context, Needs, RuleMeta, RuntimeLocation, Severity, Target, Violation, rule

if TYPE_CHECKING:
    from pylint_image.linter import RuntimeRun


def check(run: RuntimeRun, ctx: Context) -> Iterator[Violation]:
    """Yield a violation per declared port that listens on loopback only."""
    for port in run.ports or ():
        if port.declared and port.loopback_only:
            yield Violation(RuntimeLocation(run.image, "ports", run.source(f"expose:{port.label}")),
                            f"EXPOSEd port {port.label} listens only on {', '.join(port.addresses)}: "
                            "a published port cannot reach it; bind 0.0.0.0 or ::")


RULE = rule(
    meta=RuleMeta(
        code="RT3008", name="exposed-port-loopback-only", severity=Severity.ERROR, target=Target.RUNTIME,
        summary="An EXPOSEd port listens on loopback only",
        fix_title="Bind the service to 0.0.0.0 or ::", needs=Needs(probes=("ports",)),
    ),
    check=check,
)
