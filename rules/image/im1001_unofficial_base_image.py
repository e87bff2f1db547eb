"""## What it does
Flags an image built on a base that is not a Docker Official Image and whose registry or
namespace is not trusted (`trusted-registries` in the config, or this rule's `trusted`
option); the same test as the Dockerfile rule DF1002, mirrors of official images and
verified publishers included.  The base is read from the OCI
annotation (or label) `org.opencontainers.image.base.name`, else from the final stage's
`FROM` of the linked Dockerfile (stage aliases followed to the real base).  When neither
is known, nothing is reported: the base cannot be decided.

## Why is this bad?
Anyone can push to Docker Hub: an image from an unknown namespace can be abandoned,
unpatched or malicious, and everything in it ships in your image.  Severity INFO: many
vendor images are legitimate; record the trust decision in the trusted list.

## Example
```dockerfile
FROM someuser/python-tools:1.0
RUN python --version
```

## Use instead
```dockerfile
FROM python:3.12-slim
RUN python --version
```

## Options
- `trusted` (list of strings, default `[]`): registries or namespaces to trust, matched on
  whole path components, e.g. `ghcr.io/myorg`, `gcr.io/distroless`, `docker.io/bitnami`.
- `verified-publishers` (`"info"`, `"ignore"` or `"warn"`, default `"info"`): what a base
  of a verified publisher (the list DF1002 uses: distroless, Microsoft, NVIDIA, Chainguard,
  Red Hat, Bitnami...) gives. `info`: a finding that names the publisher; `ignore`: no
  finding; `warn`: the same finding as any unknown base.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import Context, InvalidReference, Reference, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.built import built_base, from_span, image_location
from pylint_image.rules._shared.image_options import TrustOptions, unofficial

if TYPE_CHECKING:
    from pylint_image.linter import Image

# DF1002's class: [tool.pylint-image.rules.unofficial-base-image] and trusted-registries govern
# the image rule too.
Options = TrustOptions


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation when the image's base is neither official nor trusted."""
    base = built_base(image, ctx)
    if base is None or "$" in base.reference:
        return  # unknown, or chosen at build time from a variable we could not resolve
    try:
        parsed = Reference.parse(base.reference)
    except InvalidReference:
        return  # not an image BuildKit could have pulled: nothing to judge
    found = unofficial(parsed, ctx)
    if found is None:
        return
    span = from_span(base.from_instruction) if base.from_instruction is not None else None
    # Layer 0 always comes from the base image; provenance attributes it to the FROM line.
    yield Violation(image_location(image, ctx, 0, span), found.message(f"from the {base.origin}"))


RULE = rule(meta=RuleMeta(code="IM1001", name="unofficial-base-image", severity=Severity.INFO,
                          target=Target.IMAGE,
                          summary="The image's base is neither a Docker Official Image "
                                  "nor from a trusted registry",
                          fix_title="Use an official image or add its namespace to trusted-registries",
                          tags=frozenset({"security", "supply-chain"}),
                          options=Options),
            check=check)
