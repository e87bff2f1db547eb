"""## What it does
Checks a Compose service's `ports:` against the image its `build:` makes: a container port
(the part after the last `:`, `8080:80` -> `80/tcp`) that the service's Dockerfile does not
`EXPOSE` (in its final stage or the stages it is built FROM) gets a finding.  Short
(`"8080:80"`, `"9000"`, `"127.0.0.1:53:53/udp"`, ranges) and long syntax (`target:`,
`protocol:`) are read.  Services without `build:` are not judged (the image is not in the
repository), nor are Dockerfiles whose EXPOSE depends on an unresolved variable.

## Why is this bad?
`EXPOSE` documents what the image listens on; a published port the image does not declare
is often a typo or a stale mapping (the app moved to another port), and the Compose file
and the Dockerfile disagree about what the service is.  Severity INFO: publishing an
undeclared port works, and the base image may EXPOSE it.

## Example
```yaml
services:
  api:
    build: ./api          # api/Dockerfile: EXPOSE 8000
    ports: ["8080:80"]
```

## Use instead
```yaml
services:
  api:
    build: ./api          # api/Dockerfile: EXPOSE 8000
    ports: ["8080:8000"]
```

## References
- https://docs.docker.com/reference/compose-file/services/#ports
- https://docs.docker.com/reference/dockerfile/#expose
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pylint_image.linter import Context, Manifest, RuleMeta, Severity, SourceLocation, Span, Target, Violation, rule
from pylint_image.rules._shared.claims import exposed_ports, parse_ports


def container_ports(entry: Any) -> list[tuple[int, str]] | None:
    """The (port, protocol) pairs a `ports:` entry publishes inside the container; None when unreadable."""
    if isinstance(entry, bool):
        return None
    if isinstance(entry, int):
        return [(entry, "tcp")]
    if isinstance(entry, str):
        spec, _, proto = entry.partition("/")
        target = spec.rsplit(":", 1)[-1]
        return parse_ports(f"{target}/{proto}" if proto else target)
    if isinstance(entry, dict) and isinstance(entry.get("target"), (int, str)):
        proto = str(entry.get("protocol", "tcp"))
        return parse_ports(f"{entry['target']}/{proto}")
    return None


def check(manifest: Manifest, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per published container port the service's Dockerfile does not EXPOSE."""
    for svc in manifest.compose_services():
        ports = svc.service.get("ports")
        if svc.dockerfile is None or not isinstance(ports, list):
            continue
        exposed = exposed_ports(svc.dockerfile)
        if exposed is None:
            continue
        final = svc.dockerfile.final_stage
        related = (SourceLocation(svc.dockerfile.path, final.from_instruction.span),) if final else ()
        for i, entry in enumerate(ports):
            wanted = container_ports(entry)
            if not wanted:
                continue
            missing = [p for p in wanted if p not in exposed]
            if not missing:
                continue
            shown = f"{missing[0][0]}/{missing[0][1]}" if len(missing) == 1 else \
                f"{len(missing)} ports from {missing[0][0]}/{missing[0][1]}"
            where: Span = (manifest.span_of(entry, "target") if isinstance(entry, dict)
                           else manifest.span_of(ports, i))
            declared = ", ".join(f"{p}/{proto}" for p, proto in sorted(exposed)) or "none"
            yield Violation(where, f"service '{svc.name}' publishes container port {shown}, which its image "
                                   f"({svc.dockerfile.path.as_posix()}) does not EXPOSE (EXPOSEd: {declared})",
                            related=related)


RULE = rule(
    meta=RuleMeta(
        code="MF2001", name="port-not-exposed", severity=Severity.INFO, target=Target.MANIFEST,
        summary="A Compose service publishes a container port its image does not EXPOSE",
        fix_title="Publish a port the image EXPOSEs, or EXPOSE it in the Dockerfile",
        tags=frozenset({"correctness"}),
    ),
    check=check,
)
