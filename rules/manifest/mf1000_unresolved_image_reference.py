"""## What it does
Reports an image reference of a manifest (Compose, Kubernetes, GitHub Actions, GitLab CI)
that is left templated once `--var K=V` values and Compose defaults are applied:
`${TAG}` with no value, `{{ .Values.image.tag }}` (Helm), `${{ matrix.image }}`
(GitHub), `$CI_REGISTRY_IMAGE` (GitLab).  Such a reference is neither pinned nor
unpinned: the other image rules skip it, and this rule says so.  A value that is not a
valid image reference once resolved (`Nginx:Latest`) is reported here too.

## Why is this bad?
What runs is decided outside the file, so nothing here can tell whether it is pinned,
official or from an allowed registry.  Severity INFO: templating is legitimate; give the
values with `--var` (or lint the rendered output, `helm template . | pylint-image -`)
to have the reference judged.

## Example
```yaml
services:
  web:
    image: "nginx:${NGINX_TAG}"
```

## Use instead
```yaml
services:
  web:
    image: "nginx:${NGINX_TAG:-1.27.3}"
```

## References
- https://docs.docker.com/reference/compose-file/interpolation/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Manifest, RuleMeta, Severity, Target, Violation, rule


def check(manifest: Manifest, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per templated or invalid image reference."""
    for use in manifest.images:
        if use.unresolved:
            left = ", ".join(dict.fromkeys(use.unresolved))
            yield Violation(use.span, f"image '{use.value}' is templated ({left} left unresolved): "
                                      "it cannot be judged pinned or unpinned")
        elif use.invalid is not None:
            shown = use.resolved if use.resolved != use.value else use.value
            yield Violation(use.span, f"image '{shown}' is not a valid image reference: {use.invalid}")


RULE = rule(
    meta=RuleMeta(
        code="MF1000", name="unresolved-image-reference", severity=Severity.INFO, target=Target.MANIFEST,
        summary="An image reference is templated and cannot be judged",
        fix_title="Give the variables with --var K=V, or lint the rendered manifest",
        tags=frozenset({"reproducibility"}),
    ),
    check=check,
)
