r"""## What it does
Flags a `RUN` that leaves a package-manager cache in a shipped layer: `apt-get update`
without `rm -rf /var/lib/apt/lists/*` or `apt-get dist-clean` in the same `RUN` (an install
without update creates no lists), `apk add` without `--no-cache`, `pip install` without
`--no-cache-dir` (unless ENV/ARG sets `PIP_NO_CACHE_DIR`), and `yarn install`/`add` without
`yarn cache clean`.  A `--mount=type=cache` (or `type=tmpfs`) on the cache directory is fine.  Only the final
stage and the stages it is built `FROM` are judged by default: a builder's cache never ships.
One finding per package manager of a `RUN`, with hadolint's id for it: apt `DL3009`, apk
`DL3019` (Trivy `DS025`), pip `DL3042`, yarn `DL3060`.

## Why is this bad?
The cache is committed with the layer: tens or hundreds of MB that nothing reads at
runtime, and deleting it in a later `RUN` does not shrink it.  Severity INFO: size only.

## Example
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 \
    && rm -rf /var/lib/apt/lists/*
```

## Options
- `all-stages` (bool, default `false`): judge builder stages too.

## References
- https://docs.docker.com/build/building/best-practices/#apt-get
- https://docs.docker.com/build/cache/optimize/#use-cache-mounts
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Instruction, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.commands import Command, has_cache_mount, removes_path, run_commands
from pylint_image.rules._shared.images import shipped_stages
from pylint_image.rules._shared.packages import CACHE_DIRS, command_name, recognize_install, recognize_invocation
from pylint_image.rules._shared.variables import Scope, walk
from pylint_image.rules._shared import frozen


@frozen
class Options:
    """Options of package-cache-not-cleaned."""

    all_stages: bool = False


def _cleared(manager: str, instruction: Instruction, commands: tuple[Command, ...]) -> bool:
    """True when the RUN mounts the manager's cache dir as a cache, removes it, or cleans it."""
    verbs = {(i.manager, i.verb) for c in commands if (i := recognize_invocation(c.argv)) is not None}
    # ``apt-get dist-clean`` (apt >= 2.7) removes the lists; ``yarn cache clean`` empties yarn's cache.
    if (manager, "dist-clean") in verbs or (manager == "yarn" and ("yarn", "cache") in verbs):
        return True
    # a cache or tmpfs mount over the cache dir (or a parent) keeps it out of the layer
    return (has_cache_mount(instruction, CACHE_DIRS[manager], types=("cache", "tmpfs"))
            or removes_path(commands, CACHE_DIRS[manager]))


def _problem(command: Command, scope: Scope) -> tuple[str, str] | None:
    """Return ``(manager, description)`` when this command leaves a cache behind."""
    invocation = recognize_invocation(command.argv)
    if invocation is not None and invocation.manager == "apt" and invocation.verb == "update":
        return "apt", f"'{invocation.tool} update' leaves /var/lib/apt/lists (add 'rm -rf /var/lib/apt/lists/*')"
    install = recognize_install(command.argv)
    if install is None:
        return None
    if install.manager == "apk" and not install.has_option("--no-cache"):
        return "apk", "'apk add' without --no-cache"
    # PIP_NO_CACHE_DIR (any non-empty value) disables pip's cache like the flag does.
    if install.manager == "pip" and not (install.has_option("--no-cache-dir", "--no-cache")
                                         or scope.get("PIP_NO_CACHE_DIR")):
        return "pip", f"'{install.tool} install' without --no-cache-dir"
    if install.manager == "yarn":
        return "yarn", f"'yarn {install.verb}' without 'yarn cache clean'"
    return None


# hadolint's (and Trivy's) id for each manager's cache
_IDS = {"apt": ("DL3009",), "apk": ("DL3019", "DS025"), "pip": ("DL3042",), "yarn": ("DL3060",)}


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per manager of a RUN that leaves a package cache in a shipped layer."""
    judged = shipped_stages(dockerfile)
    all_stages = bool(ctx.options and ctx.options.all_stages)
    for stage in dockerfile.stages:
        # Builder stages are skipped by default: their layers never reach the final image.
        if not all_stages and stage.index not in judged:
            continue
        for instruction, scope in ((i, s) for i, s in walk(dockerfile, stage) if i.keyword == "RUN"):
            commands = run_commands(instruction, scope)
            found = [(c, p) for c in commands
                     if (p := _problem(c, scope)) and not _cleared(p[0], instruction, commands)]
            by_manager: dict[str, list[tuple[Command, str]]] = {}
            for command, (manager, description) in found:
                by_manager.setdefault(manager, []).append((command, description))
            for manager, items in by_manager.items():  # one finding per manager, with its own id
                span = items[0][0].words[command_name(items[0][0].argv)[0]].span
                yield Violation(anchor(instruction, span), "package cache left in the layer: "
                                + "; ".join(dict.fromkeys(d for _, d in items)), tool_ids=_IDS[manager])


RULE = rule(
    meta=RuleMeta(
        code="DF2002", name="package-cache-not-cleaned", severity=Severity.INFO, target=Target.DOCKERFILE,
        summary="A package manager's cache is left in the image layer",
        fix_title="Clean the cache in the same RUN, use --no-cache(-dir), or a cache mount",
        tags=frozenset({"image-size"}), options=Options, aliases=("DL3009", "DL3019", "DL3042", "DL3060", "DS025"), exact_tool_ids=True,
    ),
    check=check,
)
