"""## What it does
Starts the image and times how long its entrypoint takes to open every `EXPOSE`d port (the
time to ready, shown in the probe table).  Flags a service that needs more than 5 s.  A
live process whose ports are still closed is waited for, not failed: up to the
HEALTHCHECK's `--start-period`, else 30 s (`--start-window` overrides), so a slow start is
reported here and not as `exposed-port-not-listening`.

Why 5 s: most services bind within a second or two, so 5 s is well past a normal start,
and it is the fixed window verify allowed before it waited for live processes.  Faster
starts are not worth a finding.

## Why is this bad?
It is not wrong, which is why the severity is INFO.  But a slow service is restarted or
taken out of a load balancer by a health check that does not expect the delay, rolling
updates and autoscaling take longer, and the cause is often avoidable (work done at every
start that belongs in the build: downloads, compiling, migrations, cache warm-up).  When
the delay is inherent, say so: give the HEALTHCHECK a `--start-period` at least as long.

## Example
```dockerfile
FROM python:3.12-slim
EXPOSE 8080
CMD ["sh", "-c", "pip install -r requirements.txt && exec python -m app"]
```

## Use instead
```dockerfile
FROM python:3.12-slim
RUN pip install -r requirements.txt
EXPOSE 8080
HEALTHCHECK --start-period=20s CMD ["python", "-m", "app.health"]
CMD ["python", "-m", "app"]
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import Context, Needs, RuleMeta, RuntimeLocation, Severity, Target, Violation, rule

if TYPE_CHECKING:
    from pylint_image.linter import RuntimeRun

SLOW_START_S = 5.0   # seconds to ready above which a start is reported


def check(run: RuntimeRun, ctx: Context) -> Iterator[Violation]:
    """Yield one violation when the EXPOSEd ports took more than ``SLOW_START_S`` to open."""
    start = run.start
    if start is None or start.ready_s is None or start.ready_s <= SLOW_START_S:
        return
    ports = [port.label for port in run.ports or () if port.declared]
    what = f"its EXPOSEd port{'s' if len(ports) > 1 else ''} {', '.join(ports)}" if ports else "its EXPOSEd ports"
    if start.start_window_from == "HEALTHCHECK --start-period":
        advice = f"within its HEALTHCHECK --start-period of {start.start_window_s:g} s"
    else:
        advice = "do less at start-up, or give the HEALTHCHECK a --start-period at least this long"
    where = RuntimeLocation(run.image, "start", run.source("entrypoint"))
    yield Violation(where, f"the entrypoint took {start.ready_s:.1f} s to open {what} "
                           f"(more than {SLOW_START_S:g} s): {advice}")


RULE = rule(
    meta=RuleMeta(
        code="RT3013", name="slow-start", severity=Severity.INFO, target=Target.RUNTIME,
        summary="The service takes more than 5 s to open its EXPOSEd ports",
        fix_title="Move start-up work into the build, or declare HEALTHCHECK --start-period",
        needs=Needs(probes=("start",)),
    ),
    check=check,
)
