"""## What it does
Runs the image's `HEALTHCHECK` command inside the running container (joining its
namespaces, as `docker exec` does) with its interval, timeout, retries and start period
(intervals and timeouts capped to keep verification fast) and flags it when the
container would be marked unhealthy.

## Why is this bad?
An orchestrator restarts or never routes to an unhealthy container.  Most often the check
calls a tool the image does not have (`curl` on a slim base) or the wrong port.
Severity ERROR.

## Example
```dockerfile
FROM busybox
EXPOSE 8080
HEALTHCHECK CMD curl -f http://localhost:8080/ || exit 1
CMD ["httpd", "-f", "-p", "8080"]
```

## Use instead
```dockerfile
FROM busybox
EXPOSE 8080
HEALTHCHECK CMD wget -q -O /dev/null http://localhost:8080/ || exit 1
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
    """Yield a violation when the healthcheck ran and ended unhealthy."""
    health = run.health
    # Undecided: verify's deadline came before Docker's state machine reached a verdict.
    if health is None or health.healthy or health.undecided or health.attempts == 0:
        return
    how = "timed out" if health.timed_out else f"exited {health.last_exit}"
    output = health.last_output.strip().splitlines()[-3:]
    capped = f" [{'; '.join(health.capped)}]" if health.capped else ""
    yield Violation(RuntimeLocation(run.image, "healthcheck", run.source("healthcheck")),
                    f"the HEALTHCHECK failed {health.failures} time(s) in {health.attempts} attempt(s) "
                    f"(last {how}){capped}" + (": " + " / ".join(output) if output else ""))


RULE = rule(
    meta=RuleMeta(
        code="RT3011", name="healthcheck-failing", severity=Severity.ERROR, target=Target.RUNTIME,
        summary="The HEALTHCHECK fails in the running container",
        fix_title="Make the check use a tool and port the image really has", needs=Needs(probes=("healthcheck",)),
    ),
    check=check,
)
