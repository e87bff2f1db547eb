"""The exception family, one per layer (ARCHITECTURE §4.10).

Every error carries a one-line message that names the file (and line where there is
one); the CLI prints ``str(error)`` and never a traceback, and exits with the class's
``exit_code``: 2 for the user's mistakes (usage, config, input, an unreadable image
source), 3 for the host's (a plugin or tool that will not load, an engine that cannot be
reached, no builder, no sandbox).  README's exit-code table says the same.
"""

from __future__ import annotations

from pathlib import Path


class PylintImageError(Exception):
    """Base of every error this project raises on purpose."""

    exit_code = 2  # usage, config or input error unless a subclass says otherwise

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(self.format())

    def format(self) -> str:
        """Return ``path:line: message`` (parts omitted when unknown)."""
        where = self.path or ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}" if where else self.message


class UsageError(PylintImageError):
    """Bad command-line usage: an unknown option, command or format (exit code 2)."""


class ToolUnavailable(PylintImageError):
    """A tool the user asked for is missing (exit code 3)."""

    exit_code = 3


class InputError(PylintImageError):
    """A file could not be read as a Dockerfile (missing, binary, not UTF-8, a directory...)."""


class ParseError(PylintImageError):
    """A Dockerfile is malformed; the linter reports it as a ``parse-error`` finding.

    ``tool_ids`` is hadolint's id for this kind of error (DL1000 unless a more precise one
    applies: DL3061 for an instruction before the first FROM, DL3043 for a forbidden
    ONBUILD trigger), carried by the finding so that ``--ignore DL3061`` hides only those.
    """

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None,
                 *, tool_ids: tuple[str, ...] = ("DL1000",)) -> None:
        self.tool_ids = tool_ids
        super().__init__(message, path, line)


class ConfigError(PylintImageError):
    """A configuration file or option is invalid."""


class PluginLoadError(PylintImageError):
    """A rule or formatter entry point failed to load or validate."""

    exit_code = 3


class SourceError(PylintImageError):
    """An image source (OCI layout, docker archive, daemon image) is unreadable or hostile."""


class BuildError(PylintImageError):
    """An image build failed or no builder is available."""

    exit_code = 3


class SandboxUnavailable(PylintImageError):
    """This host cannot run the sandbox (no namespaces, no cgroups, not Linux)."""

    exit_code = 3


class SandboxError(PylintImageError):
    """The sandbox failed while setting up or running a container."""

    exit_code = 3


class EngineUnavailable(SourceError):
    """The container engine cannot be reached or used (no CLI, no daemon, no permission): exit code 3.

    A source error of the host rather than of the image: the message is the engine's own
    (``Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker
    daemon running?``).  A missing image in a reachable engine stays a plain SourceError.
    """

    exit_code = 3
