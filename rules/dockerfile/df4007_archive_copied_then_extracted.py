"""## What it does
Flags a `COPY` of a local tar archive (`.tar`, `.tar.gz`, `.tgz`, `.tar.xz`, ...) that a
later `RUN` of the same stage unpacks with `tar -x` (or `gunzip`, `unxz`, ...), naming
the archive.  `COPY --from` is not judged: `ADD --from` does not unpack.  A `.zip` is not
reported either: `ADD` does not unpack zip files, so the advice would be wrong.

## Why is this bad?
The archive stays in the `COPY` layer even if the `RUN` deletes it, so the image carries
it twice (packed and unpacked); `ADD` unpacks a local tar archive in one step and one
layer.  Severity INFO: a size and build-time improvement.

## Example
```dockerfile
FROM debian:12-slim
COPY vendor.tar.gz /tmp/
RUN tar -xzf /tmp/vendor.tar.gz -C /opt && rm /tmp/vendor.tar.gz
```

## Use instead
```dockerfile
FROM debian:12-slim
ADD vendor.tar.gz /opt/
```

## References
- https://docs.docker.com/reference/dockerfile/#adding-local-tar-archives
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Instruction, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.copying import operands, unquote
from pylint_image.rules._shared.shell import commands_of, program_args

_TAR_SUFFIXES = (".tar", ".tgz", ".tbz", ".tbz2", ".tb2", ".txz", ".tlz", ".tzst", ".taz", ".tpz")
_UNPACKERS = frozenset({"gunzip", "bunzip2", "unlzma", "unxz", "zcat", "gzcat", "uncompress", "zstdcat", "unzstd"})


def _basename(path: str) -> str:
    return unquote(path).rstrip("/").rsplit("/", 1)[-1]


def _is_tar(name: str) -> bool:
    """True for a tar archive name, compressed or not (``x.tar.gz``, ``x.tgz``)."""
    lower = name.lower()
    return lower.endswith(_TAR_SUFFIXES) or ".tar." in lower


def _extracts(name: str, args: tuple[str, ...]) -> bool:
    """True when a ``tar``/unpacker invocation extracts (``-x``, ``--extract``, old-style ``xzf``)."""
    if name in _UNPACKERS:
        return True
    if name != "tar" or not args:
        return False
    if not args[0].startswith("-") and "x" in args[0]:
        return True  # old-style bundled options: ``tar xzf file``
    return any(a in ("--extract", "--get") or (a.startswith("-") and not a.startswith("--") and "x" in a)
               for a in args)


def _archives(instruction: Instruction) -> set[str]:
    """Basenames of the tar archives a build-context COPY brings in (by source or destination name)."""
    sources, dest = operands(instruction)
    if dest is None or instruction.has_flag("from"):
        return set()
    if _is_tar(_basename(dest.text)) and not dest.text.endswith("/"):
        return {_basename(dest.text)}
    return {_basename(s.text) for s in sources if _is_tar(_basename(s.text))}


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per COPY whose archive a later RUN of the stage unpacks."""
    for stage in dockerfile.stages:
        copied: dict[str, Instruction] = {}
        flagged: set[int] = set()
        for instruction in stage.instructions:
            if instruction.keyword == "COPY":
                copied.update(dict.fromkeys(_archives(instruction), instruction))
            elif instruction.keyword == "RUN" and copied:
                for _, command in commands_of(instruction):
                    name, args = program_args(command)
                    if not _extracts(name, args):
                        continue
                    named = {_basename(a) for a in args if not a.startswith("-")}
                    for archive in named & copied.keys():
                        copy = copied[archive]
                        if copy.index not in flagged:
                            flagged.add(copy.index)
                            yield Violation(copy.keyword_span,
                                            f"'{archive}' is copied, then unpacked at line {instruction.line}: "
                                            "ADD unpacks a local tar archive in one layer")


RULE = rule(
    meta=RuleMeta(
        code="DF4007", name="archive-copied-then-extracted", severity=Severity.INFO, target=Target.DOCKERFILE,
        summary="A local tar archive is copied and then unpacked by RUN",
        fix_title="ADD the archive to the directory it is unpacked into",
        tags=frozenset({"size"}), aliases=("DL3010",),
    ),
    check=check,
)
