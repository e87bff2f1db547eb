"""## What it does
Flags a `LABEL` key that breaks Docker's key convention: it must start with a lower-case
letter, end with a letter or digit, use only `a-z`, `0-9`, `.` and `-` with no repeated
separators, and stay out of the reserved `com.docker.`, `io.docker.` and
`org.dockerproject.` namespaces.  Keys holding a variable are not judged.

## Why is this bad?
Tools that read labels (registries, `docker inspect --format`, policy engines) expect
reverse-DNS lower-case keys; `Version` and `version` are two different labels, and the
reserved namespaces belong to Docker itself.  Severity STYLE: no effect on the build.

## Example
```dockerfile
FROM alpine:3.20
LABEL Description="demo"
```

## Use instead
```dockerfile
FROM alpine:3.20
LABEL org.opencontainers.image.description="demo"
```

## References
- https://docs.docker.com/engine/manage-resources/labels/#key-format-recommendations
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.copying import unquote

_KEY = re.compile(r"^[a-z](?:[a-z0-9]|[.-](?=[a-z0-9]))*$")
_RESERVED = ("com.docker.", "io.docker.", "org.dockerproject.")


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per invalid LABEL key."""
    for instruction in dockerfile.instructions():
        if instruction.keyword != "LABEL" or not instruction.args:
            continue
        pairs = instruction.args if "=" in instruction.args[0].text else instruction.args[:1]
        for arg in pairs:
            key = unquote(arg.text.split("=", 1)[0])
            if "$" in key:
                continue  # chosen at build time
            if not _KEY.match(key) or key.startswith(_RESERVED):
                yield Violation(anchor(instruction, arg.span), f"label key '{key}' should be lower-case "
                                                               "reverse-DNS (a-z, 0-9, '.', '-')")


RULE = rule(
    meta=RuleMeta(
        code="DF3010", name="invalid-label-key", severity=Severity.STYLE, target=Target.DOCKERFILE,
        summary="LABEL key breaks Docker's key format", fix_title="Use a lower-case reverse-DNS key",
        tags=frozenset({"style"}), aliases=("DL3048",),
    ),
    check=check,
)
