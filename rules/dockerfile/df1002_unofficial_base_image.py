"""## What it does
Flags a `FROM` whose base is not a Docker Official Image (`library/NAME` on Docker Hub)
and whose registry or namespace is not trusted (`trusted-registries` in the config, or
this rule's `trusted` option).  The per-architecture namespaces (`arm64v8/`, `amd64/`...)
and the public mirrors (`public.ecr.aws/docker/library/`, `mirror.gcr.io/library/`,
`mirror.gcr.io/`) of official images count as official.

Images of verified publishers (a curated list shipped with pylint-image, each entry with
its source: `gcr.io/distroless`, `mcr.microsoft.com`, `nvcr.io/nvidia`, `cgr.dev/chainguard`,
`registry.access.redhat.com`, Docker Hub's `bitnami`, `nvidia`, `docker`...) get a
finding that names the publisher, or none: see the `verified-publishers` option.

## Why is this bad?
Anyone can push to Docker Hub: an image from an unknown namespace can be abandoned,
unpatched or malicious, and it runs with your build's secrets and your app's data.
Official images are reviewed, rebuilt for CVEs and documented.  Severity INFO: many
vendor images are legitimate, so this is a supply-chain prompt to review and record the
trust decision (add the namespace to the trusted list), not a defect.

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
- `trusted` (list of strings, default `[]`): registries or namespaces to trust, matched
  on whole path components, e.g. `ghcr.io/myorg`, `gcr.io/distroless`,
  `mcr.microsoft.com`, `docker.io/bitnami` (a bare `bitnami` also means Docker Hub).
- `verified-publishers` (`"info"`, `"ignore"` or `"warn"`, default `"info"`): what an image
  of a verified publisher gives. `info`: a finding that names the publisher, asking you to
  record the trust in the trusted list; `ignore`: no finding; `warn`: the same finding
  as any unknown image. The finding has the rule's severity (INFO unless configured).

## References
- https://docs.docker.com/trusted-content/official-images/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.image_options import TrustOptions, unofficial

# One class for DF1002 and MF1002: [tool.pylint-image.rules.unofficial-base-image] governs both.
Options = TrustOptions


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per FROM whose base is neither official nor trusted."""
    for stage in dockerfile.stages:
        base = stage.base
        # scratch has no content to trust, and a stage alias was judged at its own FROM.
        if base.is_scratch or base.is_stage_alias:
            continue
        # An unresolved variable is chosen at build time: we cannot tell what it names.
        if base.has_variables:
            continue
        found = unofficial(base.reference, ctx) if base.reference is not None else None
        if found is not None:
            yield Violation(anchor(stage.from_instruction, base.span), found.message())


RULE = rule(
    meta=RuleMeta(
        code="DF1002", name="unofficial-base-image", severity=Severity.INFO, target=Target.DOCKERFILE,
        summary="Base image is neither a Docker Official Image nor from a trusted registry",
        fix_title="Use an official image or add its namespace to trusted-registries",
        tags=frozenset({"security", "supply-chain"}), options=Options,
    ),
    check=check,
)
