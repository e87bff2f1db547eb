"""## What it does
Flags a `RUN` that installs or updates packages with yum, dnf (`microdnf`, `tdnf`) or
zypper and does not clean the manager's cache afterwards in the same `RUN`
(`yum clean all`, `dnf clean all`, `zypper clean -a`, or `rm -rf /var/cache/yum` /
`/var/cache/dnf` / `/var/cache/zypp`).  A `--mount=type=cache` on the cache directory is
fine: that cache never enters a layer.  Each finding carries hadolint's id for its manager (yum `DL3032`,
dnf `DL3040`, zypper `DL3036`) and Trivy's (`DS015`, `DS019`, microdnf `DS027`, `DS020`).

Only shipped stages (the final one and those it is built `FROM`) are judged by default:
a builder stage's cache never reaches the image.

## Why is this bad?
The metadata and package cache (often 100+ MB) is committed with the layer, and removing
it in a later `RUN` does not shrink the image.  Severity INFO: size, not correctness.

## Example
```dockerfile
FROM rockylinux:9
RUN dnf install -y nginx-1.20.1
```

## Use instead
```dockerfile
FROM rockylinux:9
RUN dnf install -y nginx-1.20.1 && dnf clean all
```

## Options
- `all-stages` (bool, default `false`): judge builder stages too.
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.commands import has_cache_mount
from pylint_image.rules._shared.images import shipped_stages
from pylint_image.rules._shared.rpm import recognize
from pylint_image.rules._shared.shell import commands_of, locate, positional, program_args
from pylint_image.rules._shared import frozen

_CHANGING = frozenset({"install", "in", "groupinstall", "localinstall", "reinstall", "upgrade", "update", "up",
                       "distro-sync", "downgrade", "dist-upgrade", "dup", "patch", "makecache", "refresh", "ref"})
_CACHE = {"yum": ("/var/cache/yum", "/var/cache/dnf"), "dnf": ("/var/cache/dnf", "/var/cache/yum", "/var/cache/libdnf5"),
          "zypper": ("/var/cache/zypp",)}


@frozen
class Options:
    """Options of rpm-cache-not-cleaned."""

    all_stages: bool = False


def _cleans(manager: str, name: str, args: tuple[str, ...]) -> bool:
    """True for a command that empties ``manager``'s cache."""
    found = recognize(name, args)
    if found is not None and found.manager in (manager, "yum" if manager == "dnf" else "dnf"):
        return found.verb in ("clean", "cc") and (manager == "zypper" or "all" in found.operands)
    return name == "rm" and any(p.startswith(_CACHE[manager]) for p in positional(args))


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per RUN and manager (yum, dnf, zypper) whose cache is left in the layer."""
    judged = shipped_stages(dockerfile)
    all_stages = bool(ctx.options and ctx.options.all_stages)
    for stage in dockerfile.stages:
        if not all_stages and stage.index not in judged:
            continue  # builder stages never ship their layers
        for instruction in stage.instructions:
            run = instruction.onbuild if instruction.keyword == "ONBUILD" else instruction
            if run is None or run.keyword != "RUN":
                continue
            pending: dict[str, tuple] = {}  # manager -> (script, command) of the first uncleaned change
            for script, command in commands_of(run):
                name, args = program_args(command)
                found = recognize(name, args)
                if found is not None and found.verb in _CHANGING:
                    pending.setdefault(found.manager, (script, command, found.tool))
                for manager in [m for m in pending if _cleans(m, name, args)]:
                    del pending[manager]
            for manager, (script, command, tool) in pending.items():
                if not has_cache_mount(run, _CACHE[manager]):
                    yield Violation(locate(instruction, run, script, command),
                                    f"'{tool}' leaves its cache in the layer: add '{_clean_hint(manager)}'",
                                    tool_ids=_ids(manager, tool))


def _ids(manager: str, tool: str) -> tuple[str, ...]:
    """hadolint's and Trivy's ids for ``manager``'s cache (Trivy has one of its own for microdnf)."""
    if manager == "zypper":
        return ("DL3036", "DS020")
    if manager == "yum":
        return ("DL3032", "DS015")
    return ("DL3040", "DS027" if tool == "microdnf" else "DS019")


def _clean_hint(manager: str) -> str:
    return "zypper clean -a" if manager == "zypper" else f"{manager} clean all"


RULE = rule(
    meta=RuleMeta(
        code="DF2009", name="rpm-cache-not-cleaned", severity=Severity.INFO, target=Target.DOCKERFILE,
        summary="yum, dnf or zypper leaves its package cache in the image layer",
        fix_title="Run `yum/dnf clean all` or `zypper clean -a` in the same RUN",
        tags=frozenset({"image-size"}), options=Options,
        aliases=("DL3032", "DL3040", "DL3036", "DS015", "DS019", "DS020", "DS027"), exact_tool_ids=True,
    ),
    check=check,
)
