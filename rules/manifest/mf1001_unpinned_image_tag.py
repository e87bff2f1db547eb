"""## What it does
Flags an image reference of a manifest (Compose `services.*.image`, Kubernetes
containers, GitHub Actions `container`, `services` and `uses: docker://`, GitLab CI
`image` and `services`) that has no tag or the tag `latest`.  With `require-digest`,
every reference without an `@sha256:` digest is flagged.

It shares its name and its options with the Dockerfile rule `unpinned-image-tag`
(DF1001): `[tool.pylint-image.rules.unpinned-image-tag] require-digest = true` governs
both.  Templated references are left to `unresolved-image-reference` (MF1000).

## Why is this bad?
An untagged or `latest` image changes under you: two deployments of the same commit can
run different software, and a rollback does not roll back.  Severity WARNING.

## Example
```yaml
services:
  web:
    image: nginx:latest
```

## Use instead
```yaml
services:
  web:
    image: nginx:1.27.3
```

## Options
- `require-digest` (bool, default `false`): also flag every reference without an
  `@sha256:` digest (`pylint-image pin` adds them).

## References
- https://kubernetes.io/docs/concepts/containers/images/#image-names
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Manifest, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.image_options import PinOptions, pin_problem

# DF1001's class: [tool.pylint-image.rules.unpinned-image-tag] governs both.
Options = PinOptions


def check(manifest: Manifest, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per image reference that is not pinned."""
    for use in manifest.images:
        problem = pin_problem(use.reference, ctx) if use.reference is not None else None
        if problem is not None:
            via = f" (resolved from {use.value})" if use.resolved != use.value else ""
            yield Violation(use.span, f"image '{use.resolved}'{via} {problem}")


RULE = rule(
    meta=RuleMeta(
        code="MF1001", name="unpinned-image-tag", severity=Severity.WARNING, target=Target.MANIFEST,
        summary="An image reference in a manifest has no tag, or the tag 'latest'",
        fix_title="Pin a version tag or a digest (pylint-image pin)",
        tags=frozenset({"reproducibility", "supply-chain"}), options=Options,
    ),
    check=check,
)
