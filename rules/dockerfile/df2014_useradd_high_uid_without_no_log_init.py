"""## What it does
Flags `useradd` with a UID of six digits or more (`-u 100000`) and without `-l` /
`--no-log-init`.  A UID from an ARG or ENV is resolved; one that cannot be resolved is
not judged.

## Why is this bad?
`useradd` reserves a record per UID below the new one in `/var/log/lastlog` and
`/var/log/faillog`.  On disk these are sparse files, but image layers store them in full:
a UID of 100000 adds tens of MB, a UID of 1000000000 can add hundreds of GB and exhaust
the disk.  Severity WARNING: a needlessly huge layer, or a failed build.

## Example
```dockerfile
FROM debian:12
RUN useradd -u 1000000 app
```

## Use instead
```dockerfile
FROM debian:12
RUN useradd --no-log-init -u 1000000 app
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.shell import commands_of, has_any_flag, locate, program_args
from pylint_image.rules._shared.variables import expand, walk


def _uid(args: tuple[str, ...]) -> str | None:
    """The value given to ``-u``/``--uid`` (separate, glued or ``=`` form)."""
    for i, word in enumerate(args):
        if word in ("-u", "--uid") and i + 1 < len(args):
            return args[i + 1]
        if word.startswith("--uid="):
            return word[6:]
        if word.startswith("-u") and not word.startswith("--") and len(word) > 2:
            return word[2:]
    return None


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per useradd with a 6+ digit UID and no --no-log-init."""
    for stage in dockerfile.stages:
        if not any("useradd" in i.raw for i in stage.instructions):
            continue  # resolving the variables in scope is costly: only for stages that need it
        for instruction, scope in walk(dockerfile, stage):
            run = instruction.onbuild if instruction.keyword == "ONBUILD" else instruction
            if run is None or run.keyword != "RUN":
                continue
            for script, command in commands_of(run):
                name, args = program_args(command)
                uid = _uid(args) if name == "useradd" else None
                if uid is None or has_any_flag(args, "l", "no-log-init"):
                    continue
                value = expand(uid, scope)
                # an unresolved variable is unknown: not judged (hadolint judges its text length)
                if value.isdigit() and len(value) > 5:
                    yield Violation(locate(instruction, run, script, command),
                                    f"useradd -u {value} without --no-log-init writes huge lastlog/faillog files")


RULE = rule(
    meta=RuleMeta(
        code="DF2014", name="useradd-high-uid-without-no-log-init", severity=Severity.WARNING,
        target=Target.DOCKERFILE, summary="useradd with a high UID and without -l bloats the image",
        fix_title="Add -l (--no-log-init) to useradd", tags=frozenset({"image-size"}), aliases=("DL3046",),
    ),
    check=check,
)
