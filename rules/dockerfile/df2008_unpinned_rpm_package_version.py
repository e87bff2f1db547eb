"""## What it does
Flags `yum install`, `dnf install` (also `microdnf`, `tdnf`) and `zypper install` of
packages without a version: one finding per `RUN` and manager, naming them, with
hadolint's id for the manager (yum `DL3033`, dnf, microdnf and tdnf `DL3041`, zypper `DL3037`).  Understood as pinned:
`name-1.2` / `name-1.2-3.el9` / `name-2:1.2` (yum, dnf), `name=1.2` / `name>=1.2`
(zypper), module streams (`nodejs:18`), `.rpm` files, paths, URLs, `@groups` and versions
from a variable (`name-${VER}`).  A dotted version is required after the last name part,
so `java-11-openjdk` is a name, not a pin (hadolint takes any `-` as one for yum).

## Why is this bad?
Without a version every build installs whatever the repository serves that day: builds
are not reproducible, and an update can break or change the image without any change on
your side.  Severity WARNING: the build works today but is not repeatable.

## Example
```dockerfile
FROM rockylinux:9
RUN dnf install -y nginx && dnf clean all
```

## Use instead
```dockerfile
FROM rockylinux:9
RUN dnf install -y nginx-1.20.1 && dnf clean all
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Span, Target, Violation, rule
from pylint_image.rules._shared.rpm import INSTALL_VERBS, is_pinned, recognize
from pylint_image.rules._shared.shell import commands_of, locate_word, program_args, run_instructions


# hadolint's id for each manager family (microdnf and tdnf are dnf's)
HADOLINT_IDS = {"yum": "DL3033", "dnf": "DL3041", "zypper": "DL3037"}


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per RUN and manager family that installs unpinned RPM packages."""
    for instruction, run in run_instructions(dockerfile):
        found_by: dict[str, tuple[Span, list[str]]] = {}  # manager -> (first command's span, "tool pkg")
        for script, command in commands_of(run):
            found = recognize(*program_args(command))
            if found is None:
                continue
            if found.verb == "module" and found.operands[:1] == ("install",):
                # a module is pinned by its stream: ``nodejs:18``
                unpinned = [p for p in found.operands[1:] if ":" not in p and not is_pinned("dnf", p)]
            elif found.verb in INSTALL_VERBS:
                unpinned = [p for p in found.operands if not is_pinned(found.manager, p)]
            else:
                continue
            if unpinned:
                where = locate_word(instruction, run, script, command, unpinned[0])  # the first unpinned package
                entry = found_by.setdefault(found.manager, (where, []))
                entry[1].extend(f"{found.tool} {p}" for p in unpinned)
        for manager, (span, names) in found_by.items():
            yield Violation(span, f"packages installed without a version: {', '.join(names)}",
                            tool_ids=(HADOLINT_IDS[manager],))


RULE = rule(
    meta=RuleMeta(
        code="DF2008", name="unpinned-rpm-package-version", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="yum, dnf or zypper installs packages without pinned versions",
        fix_title="Pin each package: name-1.2 (yum, dnf) or name=1.2 (zypper)",
        tags=frozenset({"reproducibility", "supply-chain"}), aliases=("DL3033", "DL3041", "DL3037"), exact_tool_ids=True,
    ),
    check=check,
)
