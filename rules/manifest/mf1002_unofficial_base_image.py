"""## What it does
Flags an image reference of a manifest whose image is not a Docker Official Image and
whose registry or namespace is not trusted, as `unofficial-base-image` (DF1002) does for
a `FROM`: the same name, the same options and the same verdict (mirrors of official
images and the per-architecture namespaces count as official; verified publishers get a
finding naming the publisher, or none, per `verified-publishers`).  The top-level
`trusted-registries` and the rule's `trusted` option govern both rules.

## Why is this bad?
Anyone can push to Docker Hub: an image from an unknown namespace can be abandoned,
unpatched or malicious, and in a manifest it runs with your secrets and data.  Severity
INFO: a prompt to review and record the trust decision in the trusted list.

## Example
```yaml
services:
  tools:
    image: someuser/python-tools:1.0
```

## Use instead
```yaml
services:
  tools:
    image: python:3.12-slim
```

## Options
- `trusted` (list of strings, default `[]`): registries or namespaces to trust, matched on
  whole path components (`ghcr.io/myorg`, `docker.io/bitnami`).
- `verified-publishers` (`"info"`, `"ignore"` or `"warn"`, default `"info"`): what an image of
  a verified publisher gives, as for DF1002.

## References
- https://docs.docker.com/trusted-content/official-images/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Manifest, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.image_options import TrustOptions, unofficial

# DF1002's class: [tool.pylint-image.rules.unofficial-base-image] and trusted-registries govern both.
Options = TrustOptions


def check(manifest: Manifest, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per image that is neither official nor trusted."""
    for use in manifest.images:
        found = unofficial(use.reference, ctx) if use.reference is not None else None
        if found is not None:
            yield Violation(use.span, found.message().replace("base image", "image", 1))


RULE = rule(
    meta=RuleMeta(
        code="MF1002", name="unofficial-base-image", severity=Severity.INFO, target=Target.MANIFEST,
        summary="An image in a manifest is neither a Docker Official Image nor from a trusted registry",
        fix_title="Use an official image or add its namespace to trusted-registries",
        tags=frozenset({"security", "supply-chain"}), options=Options,
    ),
    check=check,
)
