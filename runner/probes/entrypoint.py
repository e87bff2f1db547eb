"""Static entrypoint probe: can the kernel exec the image's argv[0] at all? Decided from its files.

This explains what Docker reports only as ``exec /app: no such file or directory``: the
file is missing from PATH, lacks the execute bit, names a ``#!`` interpreter the image
does not have, is a dynamic ELF whose loader (PT_INTERP) is missing, or is built for
another CPU.  Files are read through the sandbox's safe reader (regular files only, a
few bytes at most), and every byte from the image is escaped before it reaches a message.
"""

from __future__ import annotations

import os
import posixpath
import shlex
from pathlib import Path

from pylint_image.linter.model.frozen import frozen
from pylint_image.linter.model.runtime import EntrypointProblem

from ..sandbox.paths import ImageEntry, ImageFileError, show
from ..sandbox.spec import OverlayRoot
from .elf import ELF_MAGIC, parse_elf, runs_on_host
from .imagefs import lookup, which

PROBE = "entrypoint"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BINPRM_BUF = 256   # the bytes the kernel reads to find a file's format and its #! line
_HEAD = 4096       # enough for an ELF header and, almost always, its program headers
_MAX_DEPTH = 3     # script -> interpreter -> loader is the longest chain that matters
_SPACETAB = b" \t"


@frozen
class Shebang:
    """A ``#!`` line as binfmt_script splits it."""

    interpreter: bytes
    argument: bytes | None


def _skip_spacetab(buf: bytes, first: int, last: int) -> int | None:
    return next((i for i in range(first, last + 1) if buf[i] not in _SPACETAB), None)


def _terminator(buf: bytes, first: int, last: int) -> int | None:
    return next((i for i in range(first, last + 1) if buf[i] in b" \t\0"), None)


def parse_shebang(head: bytes) -> Shebang | str:
    """Split a ``#!`` line as the kernel does (first 256 bytes only); a str says why it refuses it."""
    buf = head[:BINPRM_BUF].ljust(BINPRM_BUF, b"\0")   # the kernel zero-fills a shorter file
    end = buf.find(b"\n")
    if end < 0:
        start = _skip_spacetab(buf, 2, BINPRM_BUF - 1)
        # No newline: the name must end inside the buffer, or it may have been cut.
        if start is None or _terminator(buf, start, BINPRM_BUF - 1) is None:
            return f"its #! line has no interpreter name that ends within the first {BINPRM_BUF} bytes"
        end = BINPRM_BUF - 1
    while buf[end - 1] in _SPACETAB:
        end -= 1
    name = _skip_spacetab(buf, 2, end)
    if name is None or name == end:
        return "it has an empty #! line"
    sep = _terminator(buf, name, end)
    stop = end if sep is None else sep
    argument = None
    if sep is not None and buf[sep] != 0:
        begin = _skip_spacetab(buf, sep, end)
        argument = buf[begin:end].split(b"\0", 1)[0] if begin is not None else None
    return Shebang(buf[name:stop], argument)


def probe_entrypoint(root: Path | OverlayRoot, argv: tuple[str, ...], env: dict[str, str],
                     workdir: str = "/") -> EntrypointProblem | None:
    """Return why argv[0] cannot start, or None when it looks executable."""
    if not argv:
        return EntrypointProblem("not-found", "", "the image has neither ENTRYPOINT nor CMD: "
                                 "there is nothing to run")
    name = argv[0]
    path_env = env.get("PATH", DEFAULT_PATH)
    try:
        found = which(root, name, path_env, workdir or "/")
        if found is None:
            where = f"in PATH ({show(path_env[:200])})" if "/" not in name else "in the image"
            return EntrypointProblem("not-found", show(name), f"{show(name)} does not exist {where}")
        if not found.is_file:
            return EntrypointProblem("not-executable", show(found.path),
                                     f"{found.label} is not a regular file")
        if not found.executable:
            return EntrypointProblem("not-executable", show(found.path), f"{found.label} has no execute "
                                     f"permission (mode {found.mode & 0o7777:04o})")
        return _runnable(root, found, workdir or "/", 0, path_env)
    except ImageFileError as error:
        return EntrypointProblem("not-found", show(name), f"{show(name)} cannot be run: {error}")


def _runnable(root: Path | OverlayRoot, file: ImageEntry, cwd: str, depth: int,
              path_env: str = DEFAULT_PATH) -> EntrypointProblem | None:
    """Check the file's format: an ELF's architecture and loader, or a script's interpreter."""
    head = file.head(_HEAD)
    if head.startswith(ELF_MAGIC):
        return _elf_problem(root, file, head)
    if head.startswith(b"#!"):
        return _script_problem(root, file, head, cwd, depth, path_env)
    return EntrypointProblem("interpreter-missing", show(file.path),
                             f"{file.label} is neither an ELF binary nor a script with a #! line: "
                             "the kernel refuses it (exec format error)")


def _elf_problem(root: Path | OverlayRoot, file: ImageEntry, head: bytes) -> EntrypointProblem | None:
    info = parse_elf(head, lambda offset, size: file.head(size, offset))
    if info is None:
        return EntrypointProblem("interpreter-missing", show(file.path), f"{file.label} is a truncated or "
                                 "malformed ELF file (exec format error)")
    if not runs_on_host(info):
        return EntrypointProblem("interpreter-missing", show(file.path),
                                 f"{file.label} is built for {info.machine_name}, not for this host's CPU "
                                 "(exec format error unless a binfmt emulator is installed)")
    if info.interpreter is not None and _executable(root, info.interpreter) is None:
        return EntrypointProblem("interpreter-missing", show(info.interpreter),
                                 f"{file.label} is dynamically linked and needs the loader "
                                 f"{show(info.interpreter)}, which the image lacks (a glibc binary on "
                                 "scratch or musl?): build it statically or use a matching base")
    return None


def _script_problem(root: Path | OverlayRoot, file: ImageEntry, head: bytes, cwd: str,
                    depth: int, path_env: str = DEFAULT_PATH) -> EntrypointProblem | None:
    shebang = parse_shebang(head)
    if isinstance(shebang, str):
        return EntrypointProblem("interpreter-missing", show(file.path),
                                 f"{file.label}: {shebang} (exec format error)")
    interpreter = os.fsdecode(shebang.interpreter)
    target = _executable(root, interpreter, cwd)
    if target is None:
        # The kernel ends the name at a space, tab or NUL only: a CR stays in it.
        crlf = " (the script has Windows CRLF line endings)" if interpreter.endswith("\r") else ""
        line = shebang.interpreter + (b" " + shebang.argument if shebang.argument is not None else b"")
        return EntrypointProblem("interpreter-missing", show(shebang.interpreter.rstrip(b"\r")),
                                 f"{file.label} starts with #!{show(line)} but the image has no "
                                 f"executable {show(shebang.interpreter)}{crlf}")
    if depth + 1 >= _MAX_DEPTH:
        return None
    problem = _runnable(root, target, cwd, depth + 1, path_env)
    if problem is None and posixpath.basename(interpreter) == "env" and shebang.argument is not None:
        return _env_problem(root, file, shebang, cwd, depth + 1, path_env)
    return problem


def _executable(root: Path | OverlayRoot, path: str, cwd: str = "/") -> ImageEntry | None:
    found = lookup(root, path, cwd)
    return found if found is not None and found.is_file and found.executable else None


# ``env`` as a #! interpreter: ``#!/usr/bin/env python3`` runs python3 found through PATH.
_ENV_FLAGS = frozenset("i0v")            # -i (empty environment), -0, -v
_ENV_VALUED = frozenset("uCSP")          # -u NAME, -C DIR, -S STRING, -P ALTPATH (BSD)
_ENV_LONG = {"--ignore-environment": "i", "--null": "0", "--debug": "v", "--unset": "u",
             "--chdir": "C", "--split-string": "S"}
_ENV_SIGNALS = ("--default-signal", "--ignore-signal", "--block-signal", "--list-signal-handling")
EXECVP_DEFAULT_PATH = "/bin:/usr/bin"    # where glibc's execvp looks when PATH is unset


@frozen
class EnvCommand:
    """What ``env ARGS`` would run: the program name, the PATH it searches and the directory."""

    name: str
    path_env: str
    cwd: str


def _split(text: str) -> list[str]:
    """``env -S``'s split: words, quotes kept together (GNU env's escapes are rare in #! lines)."""
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return text.split()


def env_command(args: list[str], path_env: str | None, cwd: str) -> EnvCommand | None:
    """Parse ``env``'s arguments as GNU coreutils does; None when env would run nothing or refuse.

    Options come first (``-i``, ``-u NAME``, ``-C DIR``, ``-S STRING`` whose words are
    parsed in turn, ``--``), then ``NAME=VALUE`` assignments (``PATH=`` changes the
    search), then the command.  ``path_env`` None means PATH is unset.
    """
    rest = list(args)
    options = True
    while rest:
        arg = rest.pop(0)
        if options and arg == "--":
            options = False
            continue
        if options and arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if name.startswith(_ENV_SIGNALS):
                continue
            letter = _ENV_LONG.get(name)
            if letter is None:
                return None   # env refuses an option it does not know
            if letter in _ENV_VALUED and not eq:
                if not rest:
                    return None
                value = rest.pop(0)
            path_env, cwd, rest = _env_option(letter, value, path_env, cwd, rest)
            continue
        if options and arg.startswith("-") and len(arg) > 1:
            for index, letter in enumerate(arg[1:], 1):
                if letter in _ENV_FLAGS:
                    path_env, cwd, rest = _env_option(letter, "", path_env, cwd, rest)
                    continue
                if letter not in _ENV_VALUED:
                    return None
                value = arg[index + 1:]
                if not value:
                    if not rest:
                        return None
                    value = rest.pop(0)
                path_env, cwd, rest = _env_option(letter, value, path_env, cwd, rest)
                break
            continue
        options = False
        if "=" in arg and not arg.startswith("="):
            name, _, value = arg.partition("=")
            if name == "PATH":
                path_env = value
            continue
        return EnvCommand(arg, EXECVP_DEFAULT_PATH if path_env is None else path_env, cwd)
    return None   # no command: env prints the environment


def _env_option(letter: str, value: str, path_env: str | None, cwd: str,
                rest: list[str]) -> tuple[str | None, str, list[str]]:
    if letter == "i" or (letter == "u" and value == "PATH"):
        return None, cwd, rest
    if letter == "C":
        return path_env, posixpath.join(cwd, value), rest
    if letter == "S":
        return path_env, cwd, _split(value) + rest
    if letter == "P":
        return value, cwd, rest   # BSD env: the PATH to search for the command
    return path_env, cwd, rest


def _env_problem(root: Path | OverlayRoot, file: ImageEntry, shebang: Shebang, cwd: str, depth: int,
                 path_env: str) -> EntrypointProblem | None:
    """``#!/usr/bin/env X``: X must be an executable on the PATH env searches (the image's, or Docker's)."""
    # The kernel passes everything after the interpreter name as one argument.
    command = env_command([os.fsdecode(shebang.argument or b"")], path_env, cwd)
    if command is None:
        return None
    line = show(shebang.interpreter + b" " + (shebang.argument or b""))
    found = which(root, command.name, command.path_env, command.cwd)
    if found is not None and found.is_file and found.executable:
        return None if depth + 1 >= _MAX_DEPTH else _runnable(root, found, cwd, depth + 1, command.path_env)
    name = command.name
    hint = ""
    if name.endswith("\r"):
        hint = " (the script has Windows CRLF line endings)"
    elif any(space in name for space in " \t"):
        hint = (" (the kernel passes everything after the interpreter as one argument: "
                f"use #!{show(shebang.interpreter)} -S {show(name)})")
    where = "in the image" if "/" in name else f"in PATH ({show(command.path_env[:200])})"
    return EntrypointProblem("interpreter-missing", show(name.rstrip("\r")),
                             f"{file.label} starts with #!{line} but there is no executable "
                             f"{show(name)} {where}{hint}")
