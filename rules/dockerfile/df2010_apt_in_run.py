"""## What it does
Flags `apt` (the interactive front end) in a `RUN`; scripts should call `apt-get` or
`apt-cache`, whose interface and output are stable.  The fix replaces `apt` with
`apt-get` for the verbs apt-get has (`install`, `update`, `remove`, ...) and with
`apt-cache` for `search`, `show`, `policy` and friends; other verbs (`list`,
`full-upgrade`) have no one-word equivalent and get no fix.

## Why is this bad?
`apt` is meant for people at a terminal: it prints "WARNING: apt does not have a stable CLI
interface", its options and output may change between releases, and it can behave
differently in a non-interactive build.  Severity WARNING: a build that may break on a
distribution upgrade.

## Example
```dockerfile
FROM debian:12
RUN apt update && apt install -y --no-install-recommends curl=7.88.1-10+deb12u8
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8
```

## Fix
Safe: replaces the word `apt` with `apt-get` or `apt-cache`, which take the same verb and
options; a verb neither has (`list`, `full-upgrade`) gets no fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Edit, Fix, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.shell import commands_of, locate, program, run_instructions

_APT_GET = frozenset({"install", "update", "upgrade", "dist-upgrade", "remove", "purge", "autoremove",
                      "autoclean", "auto-clean", "clean", "build-dep", "source", "download", "satisfy", "check"})
_APT_CACHE = frozenset({"search", "show", "policy", "depends", "rdepends", "showsrc", "madison", "showpkg"})


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per ``apt`` command, with a safe fix where a replacement exists."""
    for instruction, run in run_instructions(dockerfile):
        for script, command in commands_of(run):
            index, name = program(command)
            if name != "apt" or command.args[index] != "apt":
                continue  # ``/usr/bin/apt`` is left alone: a full path was chosen on purpose
            verb = next((w for w in command.args[index + 1 :] if not w.startswith("-")), "")
            tool = "apt-get" if verb in _APT_GET else "apt-cache" if verb in _APT_CACHE else None
            fix = None
            if tool is not None:
                fix = Fix(f"Replace apt with {tool}", (Edit(script.span_of(command.argv[index]), tool),), safe=True)
            yield Violation(locate(instruction, run, script, command),
                            f"'apt' has no stable command-line interface: use {tool or 'apt-get or apt-cache'}", fix)


RULE = rule(
    meta=RuleMeta(
        code="DF2010", name="apt-in-run", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="A RUN uses apt, whose CLI is for people, instead of apt-get or apt-cache",
        fix_title="Use apt-get (or apt-cache)", fixable=True, tags=frozenset({"package-manager", "stability"}),
        aliases=("DL3027", "CKV_DOCKER_9"),
    ),
    check=check,
)
