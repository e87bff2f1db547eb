"""## What it does
Flags a distribution upgrade in a `RUN`: `apt-get dist-upgrade`, `apt full-upgrade`,
`zypper dist-upgrade` / `zypper dup`.  A plain `apt-get upgrade` (security updates within
the release) is not flagged.  zypper's is hadolint's `DL3035`, apt's Trivy's `DS024`.

## Why is this bad?
A distribution upgrade may install new packages, remove others and move the image to a
newer release than its base tag says, so the image no longer matches what the `FROM`
line promises and changes from one build to the next.  Upgrade the base image tag
instead.  Severity WARNING: an unannounced change of distribution release.

## Example
```dockerfile
FROM opensuse/leap:15.5
RUN zypper --non-interactive dist-upgrade
```

## Use instead
```dockerfile
FROM opensuse/leap:15.6
RUN zypper --non-interactive update
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import rpm
from pylint_image.rules._shared.shell import commands_of, locate, positional, program_args, run_instructions


def _verb(name: str, args: tuple[str, ...]) -> str | None:
    """The distribution-upgrade verb this command runs, if any."""
    if name in ("apt-get", "apt", "aptitude"):
        verb = next(iter(positional(args)), "")
        return verb if verb in ("dist-upgrade", "full-upgrade") else None
    found = rpm.recognize(name, args)
    if found is not None and found.manager == "zypper" and found.verb in ("dist-upgrade", "dup"):
        return found.verb
    return None


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per distribution-upgrade command."""
    for instruction, run in run_instructions(dockerfile):
        for script, command in commands_of(run):
            name, args = program_args(command)
            verb = _verb(name, args)
            if verb is not None:
                yield Violation(locate(instruction, run, script, command),
                                f"'{name} {verb}' moves the image off its base release: bump the FROM tag instead",
                                tool_ids=("DL3035",) if name == "zypper" else ("DS024",))


RULE = rule(
    meta=RuleMeta(
        code="DF2018", name="dist-upgrade-in-run", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="A RUN performs a distribution upgrade", fix_title="Use a newer base image tag instead",
        tags=frozenset({"reproducibility"}), aliases=("DL3035", "DS024"), exact_tool_ids=True,
    ),
    check=check,
)
