"""## What it does
Flags a `RUN` that installs packages without versions with apt-get/apt, apk, pip, npm,
yarn or gem: one finding per package manager in a `RUN`, naming its unpinned packages and
carrying hadolint's id for that manager (apt `DL3008`, apk `DL3018`, pip `DL3013`, npm and
yarn `DL3016`, gem `DL3028`), so `--ignore DL3013` leaves the apt finding of the same `RUN`.  Understood as pinned:
`pkg=1.2` (apt), `pkg=1.2`/`pkg~1.2`/`pkg>1` (apk), `pkg==1.2`/`pkg>=1`/`-r req.txt`/`-e .`
(pip), `pkg@1.2` (npm, yarn), `-v 1.2`/`pkg:1.2` (gem), and local files, paths and URLs
(`./x.deb`, `*.whl`).  A version from a variable (`pkg=${VER}`) counts as pinned unless
the variable resolves to an empty string; a word that is only a variable is not judged.

## Why is this bad?
Without a version, every build installs whatever is newest that day: builds are not
reproducible and an upstream release can break or compromise the image with no change on
your side.  Severity WARNING: the build still works today but is not repeatable.

## Example
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y curl=7.88.1-10+deb12u8 && rm -rf /var/lib/apt/lists/*
```

## References
- https://docs.docker.com/build/building/best-practices/#apt-get
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Span, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.commands import run_commands
from pylint_image.rules._shared.packages import recognize_install
from pylint_image.rules._shared.variables import walk


# hadolint's id for each package manager (yarn has none of its own: npm's DL3016 is the check)
HADOLINT_IDS = {"apt": "DL3008", "apk": "DL3018", "pip": "DL3013", "npm": "DL3016", "yarn": "DL3016", "gem": "DL3028"}


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per package manager of a RUN that installs an unpinned package."""
    for stage in dockerfile.stages:
        for instruction, scope in walk(dockerfile, stage):
            if instruction.keyword != "RUN":
                continue
            # manager -> (span of its first unpinned package, "tool verb: names" parts)
            found: dict[str, tuple[Span | None, list[str]]] = {}
            for command in run_commands(instruction, scope):
                install = recognize_install(command.argv)
                if install is None or not install.unpinned:
                    continue
                names = [p.text for p in install.unpinned]
                span = command.words[install.unpinned[0].index].span
                found.setdefault(install.manager, (span, []))[1].append(
                    f"{install.tool} {install.verb}: {', '.join(names)}")
            for manager, (span, parts) in found.items():
                yield Violation(anchor(instruction, span),
                                f"packages installed without a version ({'; '.join(parts)})",
                                tool_ids=(HADOLINT_IDS[manager],))


RULE = rule(
    meta=RuleMeta(
        code="DF2001", name="unpinned-package-version", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="Packages are installed without pinned versions",
        fix_title="Pin each package to a version (pkg=1.2, pkg==1.2, pkg@1.2)",
        tags=frozenset({"reproducibility", "supply-chain"}),
        aliases=("DL3008", "DL3018", "DL3013", "DL3016", "DL3028"), exact_tool_ids=True,
    ),
    check=check,
)
