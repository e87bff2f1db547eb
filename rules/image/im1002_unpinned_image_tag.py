"""## What it does
Flags an image built from a floating base reference: no tag, or the tag `latest`, in the
OCI annotation (or label) `org.opencontainers.image.base.name`, else in the final stage's
`FROM` of the linked Dockerfile (stage aliases followed).  A digest in the reference pins it.
With `require-digest`, a tagged base is flagged too unless the image records the digest it
was built from (`org.opencontainers.image.base.digest`) or the reference carries one.

## Why is this bad?
An untagged or `latest` base changes under you: rebuilding the same commit gives another
OS, interpreter or libc.  The recorded base digest tells what *this* build used, but a
rebuild still resolves the floating name again.

## Example
```dockerfile
FROM python
RUN python --version
```

## Use instead
```dockerfile
FROM python:3.12-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000
RUN python --version
```

## Options
- `require-digest` (bool, default `false`): also flag a tagged base when the image records
  no base digest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import Context, InvalidReference, Reference, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.built import built_base, from_span, image_location
from pylint_image.rules._shared.image_options import PinOptions, pin_problem

if TYPE_CHECKING:
    from pylint_image.linter import Image

# DF1001's class: [tool.pylint-image.rules.unpinned-image-tag] governs the image rule too.
Options = PinOptions


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation when the image's base reference is not pinned."""
    base = built_base(image, ctx)
    if base is None or "$" in base.reference:
        return  # unknown, or chosen at build time from a variable we could not resolve
    try:
        parsed = Reference.parse(base.reference)
    except InvalidReference:
        return  # not an image BuildKit could have pulled: nothing to judge
    problem = pin_problem(parsed, ctx, built=image)
    if problem is None:
        return
    span = from_span(base.from_instruction) if base.from_instruction is not None else None
    # Layer 0 always comes from the base image; provenance attributes it to the FROM line.
    yield Violation(image_location(image, ctx, 0, span),
                    f"base image '{base.reference}' (from the {base.origin}) {problem}")


RULE = rule(meta=RuleMeta(code="IM1002", name="unpinned-image-tag", severity=Severity.WARNING,
                          target=Target.IMAGE,
                          summary="The image's base has no tag, or the tag 'latest'",
                          fix_title="Pin a version tag or a digest",
                          tags=frozenset({"reproducibility", "supply-chain"}),
                          options=Options),
            check=check)
