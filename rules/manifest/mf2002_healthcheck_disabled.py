"""## What it does
Notes a Compose service whose `healthcheck:` disables the HEALTHCHECK that the image its
`build:` makes declares: `disable: true`, or `test: NONE` / `test: ["NONE"]`.  Services
without `build:`, and images whose Dockerfile has no HEALTHCHECK (or `HEALTHCHECK NONE`),
are not judged.

## Why is this bad?
The Dockerfile's author wrote a health probe; turning it off in Compose hides an unhealthy
container from `depends_on: condition: service_healthy`, restarts and `docker ps`, and the
two files now disagree about how the service is watched.  Severity INFO: disabling can be
deliberate (a one-off job), so it is a note to confirm, not a defect.

## Example
```yaml
services:
  api:
    build: ./api          # api/Dockerfile: HEALTHCHECK CMD curl -f http://localhost:8000/
    healthcheck:
      disable: true
```

## Use instead
```yaml
services:
  api:
    build: ./api
    healthcheck:
      interval: 30s       # tune the image's probe instead of disabling it
```

## References
- https://docs.docker.com/reference/compose-file/services/#healthcheck
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Manifest, RuleMeta, Severity, SourceLocation, Target, Violation, rule
from pylint_image.rules._shared.claims import disables_healthcheck, healthcheck


def check(manifest: Manifest, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per service healthcheck that turns off its image's HEALTHCHECK."""
    for svc in manifest.compose_services():
        hc = svc.service.get("healthcheck")
        if svc.dockerfile is None or not isinstance(hc, dict):
            continue
        declared = healthcheck(svc.dockerfile)
        if declared is None or disables_healthcheck(declared):
            continue
        test = hc.get("test")
        if hc.get("disable") is True:
            where = manifest.span_of(hc, "disable")
            how = "disable: true"
        elif (isinstance(test, str) and test.strip().upper() == "NONE") or (
                isinstance(test, list) and test and str(test[0]).upper() == "NONE"):
            where = manifest.span_of(hc, "test")
            how = "test: NONE"
        else:
            continue
        yield Violation(where, f"service '{svc.name}' disables ({how}) the HEALTHCHECK its image declares "
                               f"in {svc.dockerfile.path.as_posix()}:{declared.span.start_line}",
                        related=(SourceLocation(svc.dockerfile.path, declared.span),))


RULE = rule(
    meta=RuleMeta(
        code="MF2002", name="healthcheck-disabled", severity=Severity.INFO, target=Target.MANIFEST,
        summary="A Compose service disables the HEALTHCHECK its image declares",
        fix_title="Keep the image's HEALTHCHECK (tune interval or timeout instead)",
        tags=frozenset({"reliability"}),
    ),
    check=check,
)
