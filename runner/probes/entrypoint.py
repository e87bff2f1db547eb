"""Static entrypoint probe: can the kernel exec the image's argv[0] at all? Decided from its files.

This explains what Docker reports only as ``exec /app: no such file or directory``: the
file is missing from PATH, lacks the execute bit, names a ``#!`` interpreter the image
does not have, is a dynamic ELF whose loader (PT_INTERP) is missing, or is built for
another CPU.
"""

from __future__ import annotations

from pathlib import Path

from pylint_image.linter.model.runtime import EntrypointProblem

from ..sandbox import OverlayRoot
from .elf import ELF_MAGIC, parse_elf, runs_on_host
from .imagefs import ImageFile, lookup, which

PROBE = "entrypoint"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_MAX_DEPTH = 3   # script -> interpreter -> loader is the longest chain that matters


def probe_entrypoint(root: Path | OverlayRoot, argv: tuple[str, ...], env: dict[str, str],
                     workdir: str = "/") -> EntrypointProblem | None:
    """Return why argv[0] cannot start, or None when it looks executable."""
    if not argv:
        return EntrypointProblem("not-found", "", "the image has neither ENTRYPOINT nor CMD: "
                                 "there is nothing to run")
    name = argv[0]
    path_env = env.get("PATH", DEFAULT_PATH)
    found = which(root, name, path_env, workdir or "/")
    if found is None:
        where = f"in PATH ({path_env})" if "/" not in name else "in the image"
        return EntrypointProblem("not-found", name, f"{name} does not exist {where}")
    if not found.is_file:
        return EntrypointProblem("not-executable", found.path, f"{found.path} is not a regular file")
    if not found.executable:
        return EntrypointProblem("not-executable", found.path,
                                 f"{found.path} has no execute permission (mode {found.mode & 0o7777:04o})")
    return _runnable(root, found, workdir or "/", 0)


def _runnable(root: Path | OverlayRoot, file: ImageFile, cwd: str, depth: int) -> EntrypointProblem | None:
    """Check the file's format: an ELF's architecture and loader, or a script's interpreter."""
    head = file.head()
    if head.startswith(ELF_MAGIC):
        return _elf_problem(root, file, head)
    if head.startswith(b"#!"):
        return _script_problem(root, file, head, cwd, depth)
    return EntrypointProblem("interpreter-missing", file.path,
                             f"{file.path} is neither an ELF binary nor a script with a #! line: "
                             "the kernel refuses it (exec format error)")


def _elf_problem(root: Path | OverlayRoot, file: ImageFile, head: bytes) -> EntrypointProblem | None:
    info = parse_elf(head)
    if info is None:
        return EntrypointProblem("interpreter-missing", file.path, f"{file.path} is a truncated or "
                                 "malformed ELF file (exec format error)")
    if not runs_on_host(info):
        return EntrypointProblem("interpreter-missing", file.path,
                                 f"{file.path} is built for {info.machine_name}, not for this host's CPU "
                                 "(exec format error unless a binfmt emulator is installed)")
    if info.interpreter and _executable(root, info.interpreter) is None:
        return EntrypointProblem("interpreter-missing", info.interpreter,
                                 f"{file.path} is dynamically linked and needs the loader "
                                 f"{info.interpreter}, which the image lacks (a glibc binary on "
                                 "scratch or musl?): build it statically or use a matching base")
    return None


def _script_problem(root: Path | OverlayRoot, file: ImageFile, head: bytes, cwd: str,
                    depth: int) -> EntrypointProblem | None:
    line = head[2:].split(b"\n", 1)[0]
    # The kernel ends the interpreter name at a space, tab or newline only: a CR stays in it.
    words = line.decode(errors="replace").strip(" \t").replace("\t", " ").split(" ", 1)
    if not words[0]:
        return EntrypointProblem("interpreter-missing", file.path, f"{file.path} has an empty #! line")
    interpreter = words[0]
    crlf = interpreter.endswith("\r")
    target = _executable(root, interpreter, cwd)
    if target is None:
        why = " (the script has Windows CRLF line endings)" if crlf else ""
        return EntrypointProblem("interpreter-missing", interpreter.rstrip("\r"),
                                 f"{file.path} starts with #!{line.decode(errors='replace').strip()} "
                                 f"but the image has no executable {interpreter!r}{why}")
    if depth + 1 >= _MAX_DEPTH:
        return None
    return _runnable(root, target, cwd, depth + 1)


def _executable(root: Path | OverlayRoot, path: str, cwd: str = "/") -> ImageFile | None:
    found = lookup(root, path, cwd)
    return found if found is not None and found.is_file and found.executable else None
