"""## What it does
Flags `go install` and `go get` of a remote package without a version
(`go install golang.org/x/tools/cmd/goimports`).  Local packages (`./...`, `.`), words
made of variables and packages with `@v1.2.3` are fine; `@latest` and `@master` float, so
they are flagged too (hadolint accepts any `@`).

## Why is this bad?
Without a version, each build fetches the newest commit of the module and its
dependencies: the build is not reproducible and may break or change behaviour without
any change on your side.  Severity WARNING: the build works today but is not repeatable.

## Example
```dockerfile
FROM golang:1.22
RUN go install golang.org/x/tools/cmd/goimports
```

## Use instead
```dockerfile
FROM golang:1.22
RUN go install golang.org/x/tools/cmd/goimports@v0.21.0
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.shell import commands_of, locate, program_args, run_instructions
from pylint_image.rules._shared.variables import has_variables

# go build flags that take the next word as their value
_VALUE_FLAGS = frozenset({"-o", "-p", "-C", "-ldflags", "-gcflags", "-asmflags", "-tags", "-mod", "-modfile",
                          "-buildmode", "-compiler", "-gccgoflags", "-installsuffix", "-overlay", "-pgo", "-pkgdir",
                          "-toolexec", "-covermode", "-coverpkg", "-exec"})
_FLOATING = ("@latest", "@master", "@main", "@HEAD", "@upgrade", "@patch")


def _unpinned(args: tuple[str, ...]) -> list[str]:
    """Remote package operands of ``go install/get`` without a fixed version."""
    found, skip = [], False
    for word in args[1:]:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _VALUE_FLAGS
        elif word.startswith((".", "/")) or has_variables(word) or word in ("all", "std", "cmd"):
            continue  # local packages, build-supplied values and patterns are not remote modules
        elif "@" not in word or word.endswith(_FLOATING):
            found.append(word)
    return found


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per ``go install``/``go get`` of unversioned remote packages."""
    for instruction, run in run_instructions(dockerfile):
        for script, command in commands_of(run):
            name, args = program_args(command)
            if name != "go" or args[:1] not in (("install",), ("get",)):
                continue
            packages = _unpinned(args)
            if packages:
                yield Violation(locate(instruction, run, script, command),
                                f"'go {args[0]}' without a version: {', '.join(packages)} (add @vX.Y.Z)")


RULE = rule(
    meta=RuleMeta(
        code="DF2011", name="unpinned-go-install", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="go install or go get fetches a remote package without a pinned version",
        fix_title="Pin the module version: go install pkg@vX.Y.Z",
        tags=frozenset({"reproducibility", "supply-chain"}), aliases=("DL3062",),
    ),
    check=check,
)
