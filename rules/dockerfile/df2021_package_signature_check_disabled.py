"""## What it does
Flags package installs with signature checks turned off: `apt-get --allow-unauthenticated`,
`--allow-insecure-repositories`, `--force-yes` or the matching `-o APT::...=true`; an
apt source marked `[trusted=yes]`; `apk --allow-untrusted`; `yum`/`dnf`/`zypper
--nogpgcheck` (`--no-gpg-checks`) or `--setopt=gpgcheck=0`; `rpm --nosignature`,
`--nodigest`, `--nofiledigest`; and repository files written with `gpgcheck=0`.
Each finding carries Checkov's id for what it found: `CKV2_DOCKER_7` apk, `_8` apt
unauthenticated, `_9` `--nogpgcheck`, `_10` rpm, `_11` `--force-yes` (the others have none).

## Why is this bad?
Package signatures are what proves a package comes from the distribution or vendor:
without them a compromised mirror, proxy or repository can ship anything, and it runs as
root during the build.  Severity ERROR: arbitrary code in the image.

## Example
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y --allow-unauthenticated curl
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y curl
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.insecure import unsigned_command
from pylint_image.rules._shared.shell import commands_of, locate, program_args, run_instructions


def checkov_ids(what: str) -> tuple[str, ...]:
    """Checkov's id for a description from ``unsigned_command`` (none for [trusted=yes], gpgcheck=0...)."""
    tool, _, option = what.partition(" ")
    if option == "--allow-untrusted":
        return ("CKV2_DOCKER_7",)
    if option == "--allow-unauthenticated" or "allowunauthenticated" in option.lower():
        return ("CKV2_DOCKER_8",)
    if option in ("--nogpgcheck", "--no-gpg-checks", "--no-gpgcheck"):
        return ("CKV2_DOCKER_9",)
    if tool == "rpm":
        return ("CKV2_DOCKER_10",)
    if option == "--force-yes":
        return ("CKV2_DOCKER_11",)
    return ()


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per command that installs or configures packages without signature checks."""
    for instruction, run in run_instructions(dockerfile):
        for script, command in commands_of(run):
            what = unsigned_command(*program_args(command))
            if what is not None:
                yield Violation(locate(instruction, run, script, command),
                                f"{what}: packages are installed without signature verification",
                                tool_ids=checkov_ids(what))


RULE = rule(
    meta=RuleMeta(
        code="DF2021", name="package-signature-check-disabled", severity=Severity.ERROR,
        target=Target.DOCKERFILE, summary="Packages are installed with signature verification turned off",
        fix_title="Import the repository key instead of skipping verification",
        tags=frozenset({"security", "supply-chain"}), security_severity=8.0,
        aliases=("CKV2_DOCKER_7", "CKV2_DOCKER_8", "CKV2_DOCKER_9", "CKV2_DOCKER_10", "CKV2_DOCKER_11"), exact_tool_ids=True,
    ),
    check=check,
)
