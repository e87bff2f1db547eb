"""## What it does
Flags a `RUN` that refreshes a package index (`apt-get update`, `apt update`,
`apk update`, `zypper refresh`) but installs nothing in the same `RUN`.

## Why is this bad?
The build cache keys a `RUN` on its text, not on the repository's state: once cached, the
lone `update` layer is reused for months, and a later `RUN apt-get install` (changed or
new) reads that stale index and fails with 404s or installs outdated packages.  Updating
and installing in one `RUN` refreshes both together.  Severity WARNING: builds that break
or go stale depending on cache state.

## Example
```dockerfile
FROM debian:12
RUN apt-get update
RUN apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import rpm
from pylint_image.rules._shared.packages import recognize_invocation
from pylint_image.rules._shared.shell import ShellCommand, commands_of, locate, program_args, run_instructions

# ``xargs apt-get install``, ``xx-apt-get install`` (cross-compilation wrappers) also install
_WRAPPED = frozenset({"apt-get", "apt", "aptitude", "apk", "xx-apt-get", "xx-apt", "xx-apk", "zypper"})
_CHANGES = frozenset({"install", "add", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "in", "update",
                      "up", "dup", "patch", "remove", "purge", "del", "fix", "reinstall",
                      # these read the refreshed index too: they fetch packages or sources without installing
                      "download", "source", "fetch"})


def _role(command: ShellCommand) -> str | None:
    """'update' for an index refresh, 'change' for a command that uses the index, else None."""
    name, args = program_args(command)
    if name not in _WRAPPED and name != "xargs":
        return None  # cheap exit: most commands are not package managers
    found = recognize_invocation([name, *args])
    if found is not None and found.manager in ("apt", "apk"):
        return "update" if found.verb == "update" else "change" if found.verb in _CHANGES else None
    zypper = rpm.recognize(name, args)
    if zypper is not None and zypper.manager == "zypper":
        return "update" if zypper.verb in ("refresh", "ref") else "change" if zypper.verb in _CHANGES else None
    words = [w.rsplit("/", 1)[-1] for w in (name, *args)]
    tool = next((i for i, w in enumerate(words) if w in _WRAPPED), None)
    if tool is not None and any(w in _CHANGES for w in words[tool + 1 :]):
        return "change"
    return None


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per RUN that updates an index and installs nothing."""
    for instruction, run in run_instructions(dockerfile):
        roles = [(script, command, _role(command)) for script, command in commands_of(run)]
        updates = [(s, c) for s, c, role in roles if role == "update"]
        if updates and not any(role == "change" for _, _, role in roles):
            script, command = updates[0]
            yield Violation(locate(instruction, run, script, command),
                            "package index refreshed without installing in the same RUN: the cached layer goes stale")


RULE = rule(
    meta=RuleMeta(
        code="DF2019", name="package-index-update-alone", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="A RUN refreshes a package index without installing anything",
        fix_title="Update and install in the same RUN", tags=frozenset({"cache", "reproducibility"}),
        aliases=("DS017", "CKV_DOCKER_5"),
    ),
    check=check,
)
