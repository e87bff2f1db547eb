"""## What it does
Flags `sudo` in a `RUN`.  Build steps already run as the current `USER`; to run one step
as root switch with `USER root` (and back), and to drop privileges at container start use
`gosu`, `su-exec` or `setpriv` in the entrypoint.

## Why is this bad?
`sudo` is built for interactive logins: it may ask for a password or a TTY and hang or
fail the build, reads `/etc/sudoers` that images rarely configure on purpose, keeps an
extra parent process, and its presence in the image is a privilege-escalation path.
Severity WARNING: unpredictable builds and a needless setuid binary.

## Example
```dockerfile
FROM debian:12
USER app
RUN sudo apt-get update
```

## Use instead
```dockerfile
FROM debian:12
USER root
RUN apt-get update
USER app
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.shell import commands_of, locate, run_instructions


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per RUN that runs sudo."""
    for instruction, run in run_instructions(dockerfile):
        for script, command in commands_of(run):
            if command.name is not None and command.name.rsplit("/", 1)[-1] == "sudo":
                yield Violation(locate(instruction, run, script, command),
                                "sudo in a build step: switch with USER, or use gosu/su-exec at runtime")
                break


RULE = rule(
    meta=RuleMeta(
        code="DF2012", name="sudo-in-run", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="A RUN uses sudo", fix_title="Use USER to change user; gosu or su-exec at runtime",
        tags=frozenset({"security"}), aliases=("DL3004", "DS010", "CKV2_DOCKER_1"), security_severity=5.0,
    ),
    check=check,
)
