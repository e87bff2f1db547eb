"""Is a stage a Windows container?  One answer for every rule that must not give Linux advice.

A Dockerfile does not say which OS it targets; these signals do, any one is enough:

- **the base image** (the stage's own, or the real base of the stages it is built FROM):
  ``mcr.microsoft.com/windows*``, any ``servercore`` / ``nanoserver`` in the name or tag
  (``python:3.12-windowsservercore-ltsc2022``, ``mcr.microsoft.com/dotnet/aspnet:8.0-nanoserver-ltsc2022``),
  an ``ltsc20NN`` tag, .NET Framework images, the old ``microsoft/…`` Windows repositories,
  and repositories named ``…-windows`` (``stefanscherer/node-windows``);
- ``FROM --platform=windows/…``;
- a ``SHELL`` that is ``cmd`` or Windows PowerShell (``powershell``; ``pwsh`` also runs on Linux);
- a ``WORKDIR`` on a drive (``C:\\app``), or the ``# escape=``` directive (Windows'
  back-tick escape, so that ``\\`` can separate paths) together with a drive path anywhere.

The base is matched on the text as resolved from ARG defaults, else as written, so
``FROM mcr.microsoft.com/windows/servercore:$VERSION`` is still Windows.  Linux images that
only *target* Windows (``dockcross/windows-static-x64``) are not matched.
"""

from __future__ import annotations

import re
from functools import cache

from pylint_image.linter import Dockerfile, Stage

from .images import stage_chain

# Compiled on first use (~1 ms at import otherwise, on every start of every lint).
_WINDOWS_IMAGE = (
    r"servercore|nanoserver"
    r"|^mcr\.microsoft\.com/windows(?:[/:@-]|$)"  # windows, windows/servercore, windows/server...
    r"|^mcr\.microsoft\.com/dotnet/framework/"  # .NET Framework exists only on Windows
    r"|^(?:docker\.io/)?(?:microsoft/(?:iis|aspnet|dotnet-framework|mssql-server-windows)|winamd64/)"
    r"|^[^:@]*-windows(?:-[a-z0-9]+)*(?:[:@]|$)"  # node-windows, mssql-server-windows-express
    r"|:(?:[^@]*-)?(?:windows|ltsc20\d\d)(?:-[^@]*)?(?:@|$)")  # tags: windows, 1.0-windows, ltsc2022
_WINDOWS_SHELLS = frozenset({"cmd", "cmd.exe", "powershell", "powershell.exe", "pwsh.exe"})
_DRIVE_PATH = r"(?:^|[\s\"'=;])[A-Za-z]:[\\/]"


@cache
def _pattern(source: str) -> re.Pattern[str]:
    return re.compile(source)


def _image_is_windows(stage: Stage) -> bool:
    base = stage.base
    text = (base.resolved or base.raw).strip("\"'").lower()
    return bool(_pattern(_WINDOWS_IMAGE).search(text)) or (stage.platform or "").lower().startswith("windows")


def _shell_is_windows(stage: Stage) -> bool:
    for instruction in stage.instructions:
        if instruction.keyword == "SHELL" and instruction.args:
            program = instruction.args[0].text.strip("\"'").replace("\\", "/").rsplit("/", 1)[-1].lower()
            if program in _WINDOWS_SHELLS:
                return True
    return False


def _paths_are_windows(dockerfile: Dockerfile, stage: Stage) -> bool:
    backtick = dockerfile.directives.escape == "`"
    for instruction in stage.instructions:
        if instruction.keyword == "FROM":
            continue
        if (instruction.keyword == "WORKDIR" or backtick) and _pattern(_DRIVE_PATH).search(instruction.value):
            return True
    return False


def is_windows_stage(dockerfile: Dockerfile, stage: Stage) -> bool:
    """True when ``stage`` (with the stages it is built FROM) is a Windows container."""
    return any(_image_is_windows(s) or _shell_is_windows(s) or _paths_are_windows(dockerfile, s)
               for s in stage_chain(dockerfile, stage))


def is_windows(dockerfile: Dockerfile) -> bool:
    """True when the final stage, the image that ships, is a Windows container."""
    final = dockerfile.final_stage
    return final is not None and is_windows_stage(dockerfile, final)
