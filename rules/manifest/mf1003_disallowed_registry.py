"""## What it does
Flags an image reference of a manifest whose registry is outside the allowed list, as
`disallowed-registry` (DF1012) does for a `FROM`: the same name and the same `allowed`
option, so one list governs Dockerfiles and manifests.  Without a list, a list of
well-known public registries is used.  `*` matches within one host name part
(`*.azurecr.io`).  Templated references are not judged.

Preview, as DF1012: without your own list, a private registry is not a defect.

## Why is this bad?
An image from an unvetted registry can change or disappear under you, or be served by a
host outside your supply-chain controls.  Severity WARNING: a policy breach.

## Example
```yaml
services:
  api:
    image: registry.example.com:5000/team/api:1.4
```

## Use instead
```yaml
services:
  api:
    image: ghcr.io/acme/api:1.4
```

## Options
- `allowed` (list of registry host names, e.g. `["docker.io", "ghcr.io", "*.azurecr.io"]`);
  Docker Hub is `docker.io`.  It replaces the built-in list.

## References
- https://github.com/hadolint/hadolint#configure
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Manifest, RuleMeta, Severity, Status, Target, Violation, rule
from pylint_image.rules._shared.registries import RegistryOptions, allowed_registries, registry_of

# DF1012's class: [tool.pylint-image.rules.disallowed-registry] governs both.
Options = RegistryOptions


def check(manifest: Manifest, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per image pulled from a registry outside the allowed list."""
    allowed = allowed_registries(ctx)
    for use in manifest.images:
        if use.reference is None or use.resolved is None:
            continue
        registry = registry_of(use.resolved.strip())
        if registry is not None and not allowed.match(registry):
            yield Violation(use.span, f"image registry '{registry}' is not in the allowed registries")


RULE = rule(
    meta=RuleMeta(
        code="MF1003", name="disallowed-registry", severity=Severity.WARNING, target=Target.MANIFEST,
        summary="An image in a manifest comes from a registry outside the allowed list",
        fix_title="Pull the image from an allowed registry", tags=frozenset({"security", "supply-chain"}),
        status=Status.PREVIEW, options=Options,
    ),
    check=check,
)
