"""## What it does
Flags a `COPY`/`ADD` of the whole build context (`COPY . .`, `COPY ./ /app`, `ADD . /x`)
that comes before a dependency installation in the same stage: `pip install -r`,
`npm install`/`npm ci` (without package names), `yarn install`, `pnpm install`,
`bundle install`, `go mod download`, `composer install`, `mvn dependency:...`,
`poetry install`, `pipenv install`, `uv sync`, `cargo fetch`.  Compile steps such as
`cargo build` or `go build` are not judged: they need the sources anyway.

## Why is this bad?
Docker reuses a cached layer only while everything before it is unchanged.  Copying all
sources first means any edit to any file invalidates the dependency layer, so every build
downloads and installs all dependencies again.  Severity INFO: slow builds, same result.

## Example
```dockerfile
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
```

## Use instead
```dockerfile
FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
```

## References
- https://docs.docker.com/build/cache/optimize/#order-your-layers
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Instruction, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.commands import Command, run_commands
from pylint_image.rules._shared.packages import command_name, recognize_install
from pylint_image.rules._shared.variables import walk

_CONTEXT_ROOTS = frozenset({".", "./", "*", "./*", ".*"})
_DEPENDENCY_STEPS = {  # command name -> subcommands that install the project's dependencies
    "bundle": {"install"}, "go": {"mod"}, "composer": {"install"}, "poetry": {"install"},
    "pipenv": {"install", "sync"}, "uv": {"sync"}, "cargo": {"fetch"}, "pnpm": {"install", "i"},
}


def copies_context(instruction: Instruction) -> bool:
    """True for a COPY/ADD (not ``--from``) whose sources include the context root."""
    if instruction.keyword not in ("COPY", "ADD") or instruction.has_flag("from") or instruction.heredocs:
        return False
    sources = [a.text.strip("\"'") for a in instruction.args][:-1]
    return any(s in _CONTEXT_ROOTS for s in sources)


def installs_dependencies(command: Command) -> bool:
    """True when the command installs the project's dependencies from its manifest."""
    argv = command.argv
    i, name = command_name(argv)
    install = recognize_install(argv)
    if install is not None:
        if install.manager == "pip":
            return any(p.kind == "requirements" for p in install.packages)
        if install.manager in ("npm", "yarn"):
            return install.verb != "add" and not install.packages and not install.has_option("-g", "--global")
        return False
    if name == "yarn" and len(argv) == i + 1:
        return True  # bare ``yarn`` installs from package.json
    if name == "mvn":
        return any(w.startswith("dependency:") for w in argv[i + 1 :])
    following = next((w for w in argv[i + 1 :] if not w.startswith("-")), "")
    return following in _DEPENDENCY_STEPS.get(name, ())


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per whole-context COPY followed by a dependency install in its stage."""
    for stage in dockerfile.stages:
        pending: Instruction | None = None
        for instruction, scope in walk(dockerfile, stage):
            if pending is None and copies_context(instruction):
                pending = instruction
            elif pending is not None and instruction.keyword == "RUN":
                if any(installs_dependencies(c) for c in run_commands(instruction, scope)):
                    yield Violation(pending.span if pending.span.single_line else pending.keyword_span,
                                    f"the whole build context is copied before the dependency install on "
                                    f"line {instruction.line}: copy only the manifests first")
                    pending = None


RULE = rule(
    meta=RuleMeta(
        code="DF4001", name="copy-before-install", severity=Severity.INFO, target=Target.DOCKERFILE,
        summary="The whole build context is copied before installing dependencies",
        fix_title="COPY the dependency manifests, install, then COPY the rest",
        tags=frozenset({"performance", "cache"}),
    ),
    check=check,
)
