"""## What it does
Flags an image whose config runs the container as root: `User` empty (Docker's default),
`root`, `0`, `0:0`, `root:root`..., or a user name that the image's own `/etc/passwd` maps to
uid 0.  Images that ship `gosu` or `su-exec` are exempt (their entrypoint starts as root only
to step down to a service user).  With `--dockerfile`, the finding points at the final
stage's last `USER`, or at its `FROM` when it has none.

## Why is this bad?
A process running as root in the container is root on the host's kernel: any escape or
writable host mount is a full compromise.  The image config is what really runs, whatever
the Dockerfile seemed to say.

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
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import Context, Needs, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.built import image_location
from pylint_image.rules._shared.users import is_root_name, last_user, passwd_uid, user_part

if TYPE_CHECKING:
    from pylint_image.linter import Image

_DROPPERS = tuple(f"{d}/{n}" for d in ("/usr/local/bin", "/usr/local/sbin", "/usr/bin", "/usr/sbin",
                                       "/bin", "/sbin") for n in ("gosu", "su-exec"))


def _root_reason(image: Image) -> str | None:
    """Why the configured user is root, or None (non-root, or not decidable)."""
    user = image.config.user.strip()
    if not user:
        # Windows images default to a non-admin ContainerUser on nanoserver: not judged.
        return None if image.config.os == "windows" else "no User is set, so it defaults to root"
    if is_root_name(user):
        return f"User is '{user}'"
    name = user_part(user)
    if name.isdigit() or not image.files.has_content("/etc/passwd"):
        return None  # a non-zero uid, or a name we cannot resolve: not decidable as root
    passwd = image.files.read("/etc/passwd").decode("utf-8", "replace")
    if passwd_uid(passwd, name) == 0:
        return f"User '{user}' has uid 0 in the image's /etc/passwd"
    return None


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation when the image config's user is root."""
    reason = _root_reason(image)
    if reason is None or any(image.files.stat(p) is not None for p in _DROPPERS):
        return
    span = None
    if ctx.dockerfile is not None and ctx.dockerfile.final_stage is not None:
        found = last_user(ctx.dockerfile)
        span = found[0].span if found else ctx.dockerfile.final_stage.from_instruction.span
    # Anchored at the top layer: the config applies to the image as finally built.
    yield Violation(image_location(image, ctx, -1, span),
                    f"the container runs as root ({reason}): set a non-root USER")


RULE = rule(meta=RuleMeta(code="IM3004", name="runs-as-root", severity=Severity.WARNING,
                          target=Target.IMAGE, summary="The image config runs the container as root",
                          fix_title="Add a non-root USER at the end of the final stage",
                          tags=frozenset({"security"}),
                          needs=Needs(paths=("/etc/passwd",)), aliases=("CIS-DI-0001",)),
            check=check)
