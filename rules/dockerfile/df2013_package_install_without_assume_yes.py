"""## What it does
Flags package-manager commands that ask for confirmation but were not told to assume
"yes": `apt-get`/`apt` `install`, `remove`, `purge`, `upgrade`, `dist-upgrade`,
`autoremove`, `build-dep` without `-y`/`--yes`/`--assume-yes`/`-qq`; `yum`, `dnf` and
`tdnf` `install`, `remove`, `update`/`upgrade`, `reinstall`, `groupinstall`,
`localinstall` without `-y`/`--assumeyes`; `zypper` `install`, `remove`, `update`,
`patch`, `dist-upgrade`, `source-install` without `-n`/`--non-interactive` (before the
verb) or `-y`/`--no-confirm` (after it).  `microdnf` never prompts and is not judged.
Each finding carries hadolint's id for its manager: apt `DL3014`, yum `DL3030`, dnf `DL3038`,
zypper `DL3034`.
The safe fix adds `-y` after the verb.

## Why is this bad?
A build has no terminal: the prompt reads end-of-file and the command aborts (or, with
some tools, waits), so the build fails on the first package that needs confirmation.
Severity WARNING: a build that breaks as soon as the package set changes.

## Example
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install --no-install-recommends curl=7.88.1-10+deb12u8
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8
```

## Fix
Safe: inserts ` -y` right after the verb, which every judged manager reads as "assume yes".
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Edit, Fix, RuleMeta, Severity, Span, Target, Violation, rule
from pylint_image.rules._shared import rpm
from pylint_image.rules._shared.shell import commands_of, locate, program, run_instructions

_APT_VERBS = frozenset({"install", "remove", "purge", "upgrade", "dist-upgrade", "full-upgrade", "autoremove",
                        "build-dep", "reinstall"})
_RPM_VERBS = frozenset({"install", "in", "remove", "rm", "erase", "update", "up", "upgrade", "reinstall",
                        "groupinstall", "localinstall", "patch", "dist-upgrade", "dup", "source-install", "si",
                        "downgrade", "distro-sync"})
_YES = {"apt": {"-y", "--yes", "--assume-yes", "-qq", "-q=2", "--quiet=2"}, "yum": {"-y", "--assumeyes"},
        "dnf": {"-y", "--assumeyes"}, "zypper": {"-n", "--non-interactive", "-y", "--no-confirm"}}


def _needs_yes(name: str, args: tuple[str, ...]) -> tuple[str, str] | None:
    """Return ``(manager, verb)`` for a prompting command without an assume-yes option."""
    if name in ("apt-get", "apt"):
        manager = "apt"
        verb = next((w for w in args if not w.startswith("-")), "")
        ok = verb not in _APT_VERBS or any("Assume-Yes=" in w and w.endswith(("true", "1")) for w in args)
        options = {w for w in args if w.startswith("-")} | ({"-qq"} if args.count("-q") >= 2 else set())
        clustered = any(w.startswith("-") and not w.startswith("--") and "y" in w for w in args)
    else:
        found = rpm.recognize(name, args)
        if found is None or name == "microdnf":
            return None  # microdnf never asks for confirmation
        manager, verb, options = found.manager, found.verb, set(found.options)
        ok = verb not in _RPM_VERBS
        clustered = any(w.startswith("-") and not w.startswith("--") and "y" in w for w in found.options)
    if ok or clustered or options & _YES[manager]:
        return None
    return manager, verb


# hadolint's (and Trivy's, for apt) id for each manager family
_IDS = {"apt": ("DL3014", "DS021"), "yum": ("DL3030",), "dnf": ("DL3038",), "zypper": ("DL3034",)}


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per prompting package command without -y, with a safe fix."""
    for instruction, run in run_instructions(dockerfile):
        for script, command in commands_of(run):
            index, name = program(command)
            found = _needs_yes(name, command.args[index + 1 :])
            if found is None:
                continue
            verb_word = next(w for w in command.argv[index + 1 :] if w.text == found[1])
            end = script.span_of(verb_word)
            edit = Edit(Span(end.end_line, end.end_col, end.end_line, end.end_col), " -y")
            yield Violation(locate(instruction, run, script, command),
                            f"'{name} {found[1]}' asks for confirmation, which fails a build: add -y",
                            Fix("Add -y", (edit,), safe=True), tool_ids=_IDS[found[0]])


RULE = rule(
    meta=RuleMeta(
        code="DF2013", name="package-install-without-assume-yes", severity=Severity.WARNING,
        target=Target.DOCKERFILE, summary="A package manager command would prompt for confirmation (no -y)",
        fix_title="Add -y", fixable=True, tags=frozenset({"package-manager", "correctness"}),
        aliases=("DL3014", "DL3030", "DL3038", "DL3034", "DS021"), exact_tool_ids=True,
    ),
    check=check,
)
