"""## What it does
Flags an inline ignore pragma that gives no reason: every `# hadolint ignore=...` (its
syntax has no place for one) and `# pylint-image: ignore=...` without `-- reason`.

Preview (hadolint's DL1001 is off by default too): most teams accept inline pragmas.

## Why is this bad?
A silenced finding with no recorded reason cannot be reviewed later: nobody knows
whether the exception still holds.  Severity STYLE: no effect on the image.

## Example
```dockerfile
FROM alpine:3.20
# hadolint ignore=DL3018
RUN apk add --no-cache curl
```

## Use instead
```dockerfile
FROM alpine:3.20
# pylint-image: ignore=DF2001 -- curl is pinned by the base image's release
RUN apk add --no-cache curl
```

## References
- https://github.com/hadolint/hadolint/wiki/DL1001
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Status, Target, Violation, rule

_PRAGMA = re.compile(r"^(?P<tool>pylint-image|hadolint)\s*:?\s*(?:(?:stage|global)\s+)?ignore\s*=\s*(?P<rest>.+)$",
                     re.IGNORECASE)


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per ignore pragma without a reason."""
    for comment in dockerfile.comments:
        match = _PRAGMA.match(comment.text)
        if match is None:
            continue
        tool = match.group("tool").lower()
        if tool == "pylint-image" and "--" in match.group("rest") and match.group("rest").split("--", 1)[1].strip():
            continue  # the reason after ``--`` is what a reviewer needs
        yield Violation(comment.span, f"{tool} ignore pragma without a reason: "
                                      "use '# pylint-image: ignore=CODE -- why'")


RULE = rule(
    meta=RuleMeta(
        code="DF0007", name="unexplained-ignore-pragma", severity=Severity.STYLE, target=Target.DOCKERFILE,
        summary="Inline ignore pragma without a reason", fix_title="Give the reason after '--'",
        tags=frozenset({"style"}), status=Status.PREVIEW, aliases=("DL1001",),
    ),
    check=check,
)
