r"""## What it does
Flags `apt-get install` (and `apt install`) without `--no-install-recommends` (or
`-o APT::Install-Recommends=false`).

## Why is this bad?
By default apt also installs every "recommended" package: documentation, extra tools and
libraries your image never uses, often doubling the install size and adding packages to
patch.  Severity INFO: size and attack surface, not correctness.

## Example
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
```

## Fix
Safe: inserts ` --no-install-recommends` right after `install` (when the word's position
in the source is known).

## References
- https://docs.docker.com/build/building/best-practices/#apt-get
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Edit, Fix, RuleMeta, Severity, Span, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.commands import run_commands
from pylint_image.rules._shared.packages import recognize_install
from pylint_image.rules._shared.variables import walk

_FALSE = frozenset({"false", "0", "no", "off"})


def _disables_recommends(option_values: list[str]) -> bool:
    """True when some ``-o KEY=VALUE`` sets APT::Install-Recommends to false."""
    for value in option_values:
        key, _, setting = value.partition("=")
        if key.strip().lower() == "apt::install-recommends" and setting.strip().strip("\"'").lower() in _FALSE:
            return True
    return False


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation (with a safe fix when possible) per apt install lacking the flag."""
    for stage in dockerfile.stages:
        for instruction, scope in walk(dockerfile, stage):
            if instruction.keyword != "RUN":
                continue
            for command in run_commands(instruction, scope):
                install = recognize_install(command.argv)
                if install is None or install.manager != "apt" or install.tool == "aptitude":
                    continue
                if install.has_option("--no-install-recommends"):
                    continue
                if _disables_recommends(install.option_values("-o", "--option")):
                    continue
                verb = command.words[install.verb_index].span
                fix = None
                written = dockerfile.line(verb.start_line)[verb.start_col - 1 : verb.end_col - 1] if verb else ""
                # Only edit when the span really covers the word ``install`` in the source.
                if verb is not None and written == "install":
                    point = Span(verb.end_line, verb.end_col, verb.end_line, verb.end_col)
                    fix = Fix("Add --no-install-recommends", (Edit(point, " --no-install-recommends"),), safe=True)
                yield Violation(anchor(instruction, verb),
                                f"'{install.tool} install' without --no-install-recommends", fix=fix)


RULE = rule(
    meta=RuleMeta(
        code="DF2003", name="missing-no-install-recommends", severity=Severity.INFO, target=Target.DOCKERFILE,
        summary="apt-get install without --no-install-recommends",
        fix_title="Add --no-install-recommends",
        fixable=True, tags=frozenset({"image-size"}), aliases=("DL3015", "DS029"),
    ),
    check=check,
)
