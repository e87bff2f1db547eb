"""## What it does
Flags a final stage that never switches to a non-root user: no `USER` in it (or in the
stages it is built `FROM`), reported at its `FROM`; or a last `USER` that is root (`root`,
`0`, `root:root`, `0:0`, Windows `ContainerAdministrator`), reported at that `USER`.
Builder stages may run as root: only the final stage runs in production.

A `FROM scratch` final stage is flagged too: with no `/etc/passwd` a numeric
`USER 65534:65534` still works, and without it the process is uid 0 with the default
capabilities.  Exempt without a `USER`: bases that document a non-root default (tags
containing `nonroot` or `rootless`, Windows `nanoserver`), and images that install `gosu`
or `su-exec`, whose entrypoint starts as root only to drop to a service user.

## Why is this bad?
A process running as root inside the container is root on the host's kernel: any escape
or writable host mount is a full compromise.  Severity WARNING: it is the most common
hardening gap and cheap to close.

## Example
```dockerfile
FROM python:3.12-slim
COPY app.py /app/
CMD ["python", "/app/app.py"]
```

## Use instead
```dockerfile
FROM python:3.12-slim
RUN useradd --create-home app
COPY app.py /app/
USER app
CMD ["python", "/app/app.py"]
```

## References
- https://docs.docker.com/build/building/best-practices/#user
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, ImageRef, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.images import stage_chain
from pylint_image.rules._shared.users import is_root_name, last_user
from pylint_image.rules._shared.variables import has_variables

_DROPPERS = re.compile(r"\b(?:gosu|su-exec)\b")
# Bases whose image config sets a non-root USER (invisible from the Dockerfile): tags such as
# ``nonroot`` (distroless), ``rootless``; Windows nanoserver (ContainerUser); .NET chiseled and
# distroless images (user ``app``, 1654); Jupyter docker-stacks (``jovyan``); Chainguard
# (``nonroot``); Bitnami (1001); the Jenkins controller and agents (``jenkins``).
_NON_ROOT_TAG = re.compile(r"nonroot|rootless|chiseled")
_NON_ROOT_REPOSITORY = re.compile(
    r"(?:^|/)nanoserver|^mcr\.microsoft\.com/dotnet/.+distroless|^(?:quay\.io/|docker\.io/)?jupyter/"
    r"|^cgr\.dev/chainguard/|^(?:docker\.io/)?bitnami/|^(?:docker\.io/)?jenkins/(?:jenkins|inbound-agent|agent)$")


def _path(base: ImageRef) -> str:
    """``registry/repository`` of a base image, lower-case (``docker.io/...`` for Docker Hub)."""
    repository = base.repository.lower()
    return f"{base.registry.lower()}/{repository}" if base.registry else repository


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield a violation when the final stage's effective user is root."""
    final = dockerfile.final_stage
    if final is None:
        return
    found = last_user(dockerfile)
    if found is None:
        root = list(stage_chain(dockerfile, final))[-1]
        # These bases set a non-root default user themselves, which a Dockerfile cannot see.
        if _NON_ROOT_TAG.search((root.base.tag or "").lower()) or _NON_ROOT_REPOSITORY.search(_path(root.base)):
            return
        # An entrypoint that steps down with gosu/su-exec runs the service unprivileged.
        if any(_DROPPERS.search(i.value) for s in stage_chain(dockerfile, final) for i in s.instructions):
            return
        yield Violation(final.from_instruction.span, "the final stage sets no USER, so the container "
                                                     "runs as root: add a non-root USER")
        return
    instruction, user = found
    # A user from an unresolved variable is chosen at build time: we cannot judge it.
    if has_variables(user) or not user:
        return
    if is_root_name(user) and instruction.stage_index is not None:
        yield Violation(instruction.span, f"the final stage runs as root (USER {user}): switch to a non-root user")


RULE = rule(
    meta=RuleMeta(
        code="DF3002", name="runs-as-root", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="The final stage runs as root", fix_title="Add a non-root USER at the end of the final stage",
        tags=frozenset({"security"}), aliases=("DL3002", "CKV_DOCKER_8", "DS002", "CKV_DOCKER_3"),
    ),
    check=check,
)
