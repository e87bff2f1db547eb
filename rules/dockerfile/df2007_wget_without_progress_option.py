"""## What it does
Flags `wget` run without an option that tames its progress output: `--progress=...`,
`-q`/`--quiet`, `-nv`/`--no-verbose`, or a log file (`-o`/`--output-file`,
`-a`/`--append-output`).

## Why is this bad?
In a non-interactive build wget falls back to one dot line per few kilobytes: a large
download writes thousands of lines into the build log, which slows CI and buries the
lines that matter.  Severity INFO: log noise, the build itself is unaffected.

## Example
```dockerfile
FROM debian:12
RUN wget https://example.com/big.tar.gz
```

## Use instead
```dockerfile
FROM debian:12
RUN wget --progress=dot:giga https://example.com/big.tar.gz
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.shell import commands_of, has_any_flag, locate, program_args, run_instructions

_QUIET = ("progress", "q", "quiet", "no-verbose", "o", "output-file", "a", "append-output")


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per wget command without a progress/quiet/log option."""
    for instruction, run in run_instructions(dockerfile):
        for script, command in commands_of(run):
            name, args = program_args(command)
            if name != "wget" or has_any_flag(args, *_QUIET) or "-nv" in args:
                continue
            yield Violation(locate(instruction, run, script, command),
                            "wget prints a progress line per few KB in builds: "
                            "add --progress=dot:giga, -nv or -q")


RULE = rule(
    meta=RuleMeta(
        code="DF2007", name="wget-without-progress-option", severity=Severity.INFO, target=Target.DOCKERFILE,
        summary="wget runs without --progress, -q or -nv and floods the build log",
        fix_title="Add --progress=dot:giga (or -nv / -q)",
        tags=frozenset({"build-log"}), aliases=("DL3047",),
    ),
    check=check,
)
