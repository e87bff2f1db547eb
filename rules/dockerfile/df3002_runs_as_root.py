"""## What it does
Flags a final stage that runs as root:

- a last `USER` that is root (`root`, `0`, `root:root`, `0:0`), reported at that `USER`:
  hadolint's DL3002 (and Checkov's CKV_DOCKER_8, Trivy's DS002);
- no `USER` at all in the final stage (or in the stages it is built `FROM`), reported at
  its `FROM`: Trivy's DS002 and Checkov's CKV_DOCKER_3 (hadolint does not check this);
- Windows' administrator, `USER ContainerAdministrator`, with a Windows-specific message.

Builder stages may run as root: only the final stage runs in production.

A `FROM scratch` final stage is flagged too when it runs something (`CMD`, `ENTRYPOINT`
or `RUN`): with no `/etc/passwd` a numeric `USER 65534:65534` still works, and without it
the process is uid 0 with the default capabilities.  Exempt without a `USER`:

- export stages: `scratch` with only `COPY`/`ADD` and metadata, whose files are taken
  out with `--output` or `COPY --from` and never run;
- Windows images (see the shared Windows detection: `servercore`, `nanoserver`,
  `mcr.microsoft.com/windows*`, a `cmd`/`powershell` SHELL...): they run as
  `ContainerUser` or `ContainerAdministrator`, and there is no uid 0 to speak of;
- bases that document a non-root default (tags containing `nonroot`, `rootless` or
  `chiseled`, distroless .NET, Chainguard, Bitnami, Jupyter, Jenkins);
- images that install `gosu` or `su-exec`, whose entrypoint starts as root only to drop
  to a service user.

## Why is this bad?
A process running as root inside the container is root on the host's kernel: any escape
or writable host mount is a full compromise.  On Windows, `ContainerAdministrator` has
full control of the container and of mounted host folders.  Severity WARNING: it is the
most common hardening gap and cheap to close.

## Example
```dockerfile
FROM python:3.12-slim
COPY app.py /app/
USER root
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
- https://learn.microsoft.com/en-us/virtualization/windowscontainers/manage-containers/container-security
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, ImageRef, RuleMeta, Severity, Stage, Target, Violation, rule
from pylint_image.rules._shared.images import stage_chain
from pylint_image.rules._shared.users import is_root_name, last_user, user_part
from pylint_image.rules._shared.variables import has_variables
from pylint_image.rules._shared.windows import is_windows

_DROPPERS = re.compile(r"\b(?:gosu|su-exec)\b")
# Foreign ids per finding: hadolint, Checkov's last-USER check and Trivy judge an explicit
# root USER; only Trivy and Checkov's "a user was created" check flag a missing USER.
_EXPLICIT_ROOT_IDS = ("DL3002", "CKV_DOCKER_8", "DS002")
_NO_USER_IDS = ("DS002", "CKV_DOCKER_3")
# Instructions that execute something in the image (an export stage has none of them).
_RUNS = frozenset({"RUN", "CMD", "ENTRYPOINT"})
# Bases whose image config sets a non-root USER (invisible from the Dockerfile): tags such as
# ``nonroot`` (distroless), ``rootless``; .NET chiseled and
# distroless images (user ``app``, 1654); Jupyter docker-stacks (``jovyan``); Chainguard
# (``nonroot``); Bitnami (1001); the Jenkins controller and agents (``jenkins``).
_NON_ROOT_TAG = re.compile(r"nonroot|rootless|chiseled")
_NON_ROOT_REPOSITORY = re.compile(
    r"^mcr\.microsoft\.com/dotnet/.+distroless|^(?:quay\.io/|docker\.io/)?jupyter/"
    r"|^cgr\.dev/chainguard/|^(?:docker\.io/)?bitnami/|^(?:docker\.io/)?jenkins/(?:jenkins|inbound-agent|agent)$")


def _path(base: ImageRef) -> str:
    """``registry/repository`` of a base image, lower-case (``docker.io/...`` for Docker Hub)."""
    repository = base.repository.lower()
    return f"{base.registry.lower()}/{repository}" if base.registry else repository


def _exports_only(dockerfile: Dockerfile, final: Stage) -> bool:
    """True for a final stage on ``scratch`` that never runs anything: its files are exported."""
    chain = list(stage_chain(dockerfile, final))
    return chain[-1].base.is_scratch and not any(i.keyword in _RUNS or (i.onbuild and i.onbuild.keyword in _RUNS)
                                                 for s in chain for i in s.instructions)


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
        # Nothing runs in an export stage, and Windows has no uid 0: no USER is not root there.
        if _exports_only(dockerfile, final) or is_windows(dockerfile):
            return
        yield Violation(final.from_instruction.span, "the final stage sets no USER, so the container "
                                                     "runs as root: add a non-root USER", tool_ids=_NO_USER_IDS)
        return
    instruction, user = found
    # A user from an unresolved variable is chosen at build time: we cannot judge it.
    if has_variables(user) or not user or instruction.stage_index is None:
        return
    if user_part(user).lower() == "containeradministrator":
        # Not uid 0, and not what hadolint, Trivy or Checkov look for: no foreign id.
        yield Violation(instruction.span, f"the final stage runs as Windows' administrator (USER {user}): "
                                          "switch to ContainerUser or a dedicated local account")
    elif is_root_name(user):
        yield Violation(instruction.span, f"the final stage runs as root (USER {user}): switch to a non-root user",
                        tool_ids=_EXPLICIT_ROOT_IDS)


RULE = rule(
    meta=RuleMeta(
        code="DF3002", name="runs-as-root", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="The final stage runs as root", fix_title="Add a non-root USER at the end of the final stage",
        tags=frozenset({"security"}), aliases=("DL3002", "CKV_DOCKER_8", "DS002", "CKV_DOCKER_3"),
        exact_tool_ids=True,  # every finding lists its ids: no USER is DS002/CKV_DOCKER_3, never DL3002
    ),
    check=check,
)
