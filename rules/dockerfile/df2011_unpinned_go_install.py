"""## What it does
Flags `go get` of a remote package without a version (`go get github.com/x/tool`), and
`go install` or `go get` with a version that floats: `@latest`, `@master`, `@main`,
`@HEAD`, `@upgrade`, `@patch` ("`@latest` is not a version").  Local packages (`./...`,
`.`), words made of variables and packages with `@v1.2.3` are fine.

`go install` *without* `@version` is fine too: it runs in module mode and builds the
version the `go.mod` in the current directory requires, pinned by `go.sum` (`go install
tool`, Go 1.24's tools, and `go install example.com/cmd` with a bound `go.mod`); outside a
module Go 1.16 and later refuse it.  hadolint's DL3062 flags it; it accepts any `@`,
`@latest` included.

## Why is this bad?
Without a version, or with `@latest`, each build fetches the newest release of the module and its
dependencies: the build is not reproducible and may break or change behaviour without
any change on your side.  Severity WARNING: the build works today but is not repeatable.

## Example
```dockerfile
FROM golang:1.22
RUN go install golang.org/x/tools/cmd/goimports@latest
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
_FLOATING = frozenset({"latest", "master", "main", "HEAD", "upgrade", "patch"})


def _unpinned(args: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Remote package operands of ``go install/get`` without a fixed version: (word, floating version or None)."""
    found: list[tuple[str, str | None]] = []
    skip = False
    for word in args[1:]:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _VALUE_FLAGS
        elif word.startswith((".", "/")) or has_variables(word) or word in ("all", "std", "cmd"):
            continue  # local packages, build-supplied values and patterns are not remote modules
        elif "@" not in word:
            # go install takes the version from go.mod (module mode); go get upgrades to the newest.
            if args[0] == "get":
                found.append((word, None))
        elif word.rsplit("@", 1)[1] in _FLOATING:
            found.append((word, word.rsplit("@", 1)[1]))
    return found


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per ``go install``/``go get`` of remote packages at a floating version."""
    for instruction, run in run_instructions(dockerfile):
        for script, command in commands_of(run):
            name, args = program_args(command)
            if name != "go" or args[:1] not in (("install",), ("get",)):
                continue
            packages = _unpinned(args)
            if packages:
                what = "; ".join(f"{word}: `@{floating}` is not a version" if floating else f"{word} has no version"
                                 for word, floating in packages)
                # hadolint's DL3062 wants an '@' and accepts '@latest': only a missing version is its finding.
                ids = ("DL3062",) if any(floating is None for _, floating in packages) else ()
                yield Violation(locate(instruction, run, script, command),
                                f"'go {args[0]}' of an unpinned module: {what} (pin @vX.Y.Z)", tool_ids=ids)


RULE = rule(
    meta=RuleMeta(
        code="DF2011", name="unpinned-go-install", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="go get, or go install @latest, fetches a remote package without a pinned version",
        fix_title="Pin the module version: go install pkg@vX.Y.Z",
        tags=frozenset({"reproducibility", "supply-chain"}), aliases=("DL3062",),
        exact_tool_ids=True,  # `@latest` is no DL3062 (hadolint accepts any @)
    ),
    check=check,
)
