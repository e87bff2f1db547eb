"""## What it does
Flags a `FROM` or `COPY --from` whose image comes from a registry outside the allowed
list (stage names, `scratch` and registries left unresolved by `ARG`s are not judged).  Set the
list with the `allowed` option (hadolint's `trustedRegistries`); until then a list of
well-known public registries is used, so the rule reports unknown or private hosts.
`*` matches within one host name part (`*.azurecr.io`).

Preview: without your own list, a private registry is not a defect.

## Why is this bad?
A base image from an unvetted registry can change or disappear under you, or be served
by a host outside your supply-chain controls.  Severity WARNING: a policy breach, not a
broken build.

## Example
```dockerfile
FROM registry.example.com:5000/team/base:1.4
```

## Use instead
```dockerfile
FROM docker.io/library/python:3.12-slim
```

## Options
- `allowed` (list of registry host names, e.g. `["docker.io", "ghcr.io", "*.azurecr.io"]`);
  Docker Hub is `docker.io`.  It replaces the built-in list.

## References
- https://github.com/hadolint/hadolint#configure
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Status, Target, Violation, rule
from pylint_image.rules._shared.registries import RegistryOptions, allowed_registries, registry_of
from pylint_image.rules._shared.variables import expand, global_scope

# One class for DF1012 and MF1003: [tool.pylint-image.rules.disallowed-registry] governs both.
Options = RegistryOptions


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per FROM / COPY --from pulling from a registry outside the allowed list."""
    allowed = allowed_registries(ctx)
    scope = global_scope(dockerfile)
    for instruction in dockerfile.instructions():
        if instruction.keyword == "FROM":
            stage = dockerfile.stage(instruction.stage_index) if instruction.stage_index is not None else None
            if stage is None or stage.base.is_stage_alias or stage.base.is_scratch:
                continue  # no registry is pulled from
            reference = stage.base.resolved or stage.base.raw
        elif instruction.keyword == "COPY" and instruction.flag("from"):
            reference = expand(instruction.flag("from") or "", scope)
            if reference.isdigit() or dockerfile.stage(reference) is not None:
                continue  # another stage, not an image
        else:
            continue
        registry = registry_of(reference)
        if registry is not None and not allowed.match(registry):
            yield Violation(instruction.keyword_span,
                            f"image registry '{registry}' is not in the allowed registries")


RULE = rule(
    meta=RuleMeta(
        code="DF1012", name="disallowed-registry", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="The base image comes from a registry outside the allowed list",
        fix_title="Pull the base image from an allowed registry", tags=frozenset({"security", "supply-chain"}),
        status=Status.PREVIEW, options=Options, aliases=("DL3026",),
    ),
    check=check,
)
