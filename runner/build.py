"""Build a Dockerfile into a local image with docker, podman or buildah, and stream it out again.

Each builder is a thin subprocess wrapper behind the Builder protocol. A failed build
raises :class:`BuildFailed` naming the failing instruction's Dockerfile line when the log
reveals it (legacy ``Step 3/5 : RUN``, BuildKit ``Dockerfile:12`` / ``#8 [2/3] RUN``,
podman/buildah ``STEP 3/5: RUN``) plus an excerpt of the log: the failing step and its last
output lines, without the builder's banners (the legacy builder's deprecation notice, the
buildx install hint), colour codes or progress noise (:func:`failure_excerpt`).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import re
import shutil
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from pylint_image.linter.errors import BuildError, SourceError
from pylint_image.linter.model.frozen import frozen

from .docker_socket import engine_error, unreachable

LOG = logging.getLogger(__name__)
BUILD_TIMEOUT = 1800.0
_REAP_TIMEOUT = 30.0   # seconds for the builder to exit once its output closed
LOG_TAIL_LINES = 12   # output lines of the failing step kept in the excerpt (plus its header and error)

_LEGACY_STEP = re.compile(r"^Step (\d+)/\d+ : (.*)$")
_STEP = re.compile(r"^STEP (\d+)/\d+: (.*)$")
_BUILDKIT_STEP = re.compile(r"^#\d+ \[(?:[^\]]*?\s)?\d+/\d+\] (.*)$")
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# Notices the builder prints on every run, whatever the Dockerfile: their indented lines follow.
_BANNER = re.compile(r"^(DEPRECATED: The legacy builder|ERROR: BuildKit is enabled but the buildx"
                     r"|WARNING: buildx|#0 building with )")
# Lines that tell how the build went, not what the failing step printed.
_NOISE = re.compile(r"^(Sending build context to |Removing intermediate container |\s*---> "
                    r"|#\d+ (DONE|CACHED)\b|#\d+ \[internal\]|#\d+ (transferring|resolve|sha256:|extracting"
                    r"|naming to|exporting|writing image|unpacking|load build definition|load metadata|load \.dockerignore)"
                    r"|#\d+ \d+(\.\d+)?s? done$|-{8,}$|\s*\d+ \|)")
_BUILDKIT_PREFIX = re.compile(r"^#\d+ \d+\.\d+ ")   # "#6 0.251 " before a BuildKit step's output line
_SUMMARY_HEAD = re.compile(r"^ > \[(?:[^\]]*?\s)?\d+/\d+\] .*:$")   # BuildKit's recap of the failing step


@frozen
class BuildResult:
    """A built image and the build's log."""

    image_ref: str
    log: str


class BuildFailed(BuildError):
    """A build failed; ``line`` is the failing instruction's Dockerfile line when known."""

    def __init__(self, message: str, path: Path, line: int | None, instruction: str | None,
                 log_tail: str) -> None:
        self.instruction = instruction
        self.log_tail = log_tail
        super().__init__(message, path, line)


class Builder(Protocol):
    """What the pipeline needs from an image builder."""

    name: str

    def detect(self) -> bool:
        """True when the tool is installed and its daemon/storage works; never raises."""

    def version(self) -> str:
        """A one-line version string for the report."""

    def build(self, context: Path, dockerfile: Path, target: str | None = None,
              build_args: Mapping[str, str] | None = None, tag: str | None = None,
              on_line: Callable[[str], None] | None = None) -> BuildResult:
        """Build and return the local image reference; raise BuildFailed on failure."""

    def save(self, image_ref: str) -> contextlib.AbstractContextManager[IO[bytes]]:
        """Stream the image as a docker-archive tar (the subprocess's stdout, no temp file)."""


def instruction_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line, text) of each Dockerfile instruction, joining continuation lines."""
    escape = "\\"
    found: list[tuple[int, str]] = []
    current: list[str] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        directive = re.match(r"#\s*escape\s*=\s*(\S)", line)
        if directive and not found and current is None:
            escape = directive.group(1)
        if current is None:
            if not line or line.startswith("#"):
                continue
            found.append((number, ""))
            current = []
        elif line.startswith("#"):
            continue   # comments inside a continuation do not end it
        continued = line.endswith(escape)
        current.append(line[:-1].strip() if continued else line)
        found[-1] = (found[-1][0], " ".join(p for p in current if p))
        if not continued:
            current = None
    return found


def _normalize(instruction: str) -> str:
    return " ".join(instruction.split()).lower()


def locate_failure(log: str, dockerfile: Path) -> tuple[int | None, str | None]:
    """Find the failing instruction's line and text in a build log."""
    try:
        instructions = instruction_lines(dockerfile.read_text(errors="replace"))
    except OSError:
        instructions = []
    lines = log.splitlines()
    buildkit = re.compile(rf"^\s*{re.escape(dockerfile.name)}:(\d+)\s*$")
    for line in reversed(lines):
        match = buildkit.match(line)
        if match:
            number = int(match.group(1))
            text = next((t for n, t in instructions if n == number), None)
            return number, text
    for pattern in (_LEGACY_STEP, _STEP):
        step = next((m for m in map(pattern.match, reversed(lines)) if m), None)
        if step is not None:
            index = int(step.group(1)) - 1
            if 0 <= index < len(instructions):
                return instructions[index]
            return _match_text(step.group(2), instructions), step.group(2)
    kit = next((m for m in map(_BUILDKIT_STEP.match, reversed(lines)) if m), None)
    if kit is not None:
        return _match_text(kit.group(1), instructions), kit.group(1)
    return None, None


def _match_text(logged: str, instructions: list[tuple[int, str]]) -> int | None:
    wanted = _normalize(logged)
    for number, text in instructions:
        if _normalize(text) == wanted or _normalize(text).startswith(wanted):
            return number
    return None


def _run_logged(cmd: Sequence[str], env: Mapping[str, str], timeout: float,
                on_line: Callable[[str], None] | None) -> tuple[int, str]:
    """Run ``cmd`` merging stderr into stdout, stream lines to ``on_line``, keep the log."""
    log: collections.deque[str] = collections.deque(maxlen=5000)
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, env=dict(env), text=True,
                          errors="replace") as proc:
        assert proc.stdout is not None
        # The output loop only ends at EOF: a silent, hung build must be killed from outside.
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            proc.kill()

        killer = threading.Timer(timeout, kill)
        killer.daemon = True
        killer.start()
        try:
            for line in proc.stdout:
                log.append(line.rstrip("\n"))
                if on_line is not None:
                    on_line(line.rstrip("\n"))
            code = proc.wait(timeout=_REAP_TIMEOUT)
        except subprocess.TimeoutExpired:   # output closed, yet the builder lingers
            proc.kill()
            code = proc.wait()
        finally:
            killer.cancel()
        if expired.is_set():
            raise BuildError(f"build timed out after {timeout:g} s: {' '.join(cmd[:3])}")
    return code, "\n".join(log)


def clean_lines(log: str) -> list[str]:
    """The log's lines without colour codes, redrawn states, blank lines and builder banners."""
    out: list[str] = []
    in_banner = False
    for raw in log.splitlines():
        # A line redrawn with carriage returns ("Sending build context ... 2.048kB\r") shows its last state.
        line = next((part for part in reversed(_ANSI.sub("", raw).split("\r")) if part.strip()), "").rstrip()
        if _BANNER.match(line):
            in_banner = True
            continue
        if in_banner and (not line or line[:1].isspace()):
            continue   # the banner's indented continuation lines and the blank line after it
        in_banner = False
        if line:
            out.append(line)
    return out


def failure_excerpt(log: str, keep: int = LOG_TAIL_LINES) -> str:
    """The failing step's header, its last ``keep`` output lines and the builder's error line.

    BuildKit recaps the failing step between ``------`` rules (`` > [3/3] RUN ...:``); the
    legacy builder and podman/buildah name it in their last ``Step``/``STEP`` line.
    """
    lines = clean_lines(log)
    recap = next((i for i in range(len(lines) - 1, -1, -1) if _SUMMARY_HEAD.match(lines[i])), None)
    if recap is not None:
        end = next((i for i in range(recap + 1, len(lines)) if lines[i].startswith("------")), len(lines))
        body = [re.sub(r"^\d+\.\d+ ", "", line) for line in lines[recap + 1:end]]
        errors = [line for line in lines[end:] if line.startswith("ERROR")]
        return "\n".join([lines[recap].strip().lstrip("> ").rstrip(":"), *body[-keep:], *errors[-1:]])
    start = next((i for i in range(len(lines) - 1, -1, -1)
                  if any(p.match(lines[i]) for p in (_LEGACY_STEP, _STEP, _BUILDKIT_STEP))), None)
    if start is None:
        return "\n".join([line for line in lines if not _NOISE.match(line)][-keep:])
    body = [_BUILDKIT_PREFIX.sub("", line) for line in lines[start + 1:] if not _NOISE.match(line)]
    return "\n".join([_BUILDKIT_PREFIX.sub("", lines[start]), *body[-keep:]])


def _fail(log: str, dockerfile: Path, tool: str) -> BuildFailed:
    line, instruction = locate_failure(log, dockerfile)
    tail = failure_excerpt(log)
    what = f"{instruction!r} failed" if instruction else "build failed"
    return BuildFailed(f"{tool} build: {what}", dockerfile, line, instruction, tail)


@contextlib.contextmanager
def _stream(cmd: Sequence[str]) -> Iterator[IO[bytes]]:
    """Yield a subprocess's stdout; kill it if the reader stops early; check its status."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    assert proc.stdout is not None and proc.stderr is not None
    finished = False
    try:
        yield proc.stdout
        finished = True
    finally:
        if not finished:
            proc.kill()
        proc.stdout.close()
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        code = proc.wait()
    if code != 0:
        if unreachable(err):
            raise engine_error(err, " ".join(cmd[:2]))
        raise SourceError(f"{' '.join(cmd[:2])} failed ({code}): {err.strip()[-500:]}")


def _probe(cmd: Sequence[str]) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _common_args(dockerfile: Path, target: str | None, build_args: Mapping[str, str] | None,
                 tag: str) -> list[str]:
    args = ["-f", str(dockerfile), "-t", tag]
    if target:
        args += ["--target", target]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    return args


def _default_tag() -> str:
    return f"pylint-image-verify/{uuid.uuid4().hex[:12]}:latest"


@dataclass(slots=True)
class CliBuilder:
    """A builder driven through one CLI (docker, podman or buildah)."""

    name: str
    build_cmd: tuple[str, ...]
    save_cmd: tuple[str, ...]
    info_cmd: tuple[str, ...]

    def detect(self) -> bool:
        """True when the CLI exists and its info command succeeds."""
        return self.problem() is None

    def problem(self) -> str | None:
        """Why this builder cannot be used (the engine's own words when it says), or None."""
        if shutil.which(self.name) is None:
            return "not installed"
        done = _probe(self.info_cmd)
        if done is None:
            return f"{' '.join(self.info_cmd[:2])} did not answer"
        if done.returncode != 0:
            lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
            return next((line for line in lines if unreachable(line)), lines[-1] if lines else
                        f"{' '.join(self.info_cmd[:2])} failed ({done.returncode})")
        return None

    def version(self) -> str:
        """The CLI's ``--version`` line."""
        done = _probe((self.name, "--version"))
        return done.stdout.strip() if done and done.returncode == 0 else "unknown"

    def _env(self) -> dict[str, str]:
        return dict(os.environ)

    def build(self, context: Path, dockerfile: Path, target: str | None = None,
              build_args: Mapping[str, str] | None = None, tag: str | None = None,
              on_line: Callable[[str], None] | None = None) -> BuildResult:
        """Build ``context`` with ``dockerfile`` into ``tag`` (a fresh tag when None)."""
        tag = tag or _default_tag()
        cmd = [*self.build_cmd, *_common_args(dockerfile, target, build_args, tag), str(context)]
        LOG.debug("building: %s", " ".join(cmd))
        code, log = _run_logged(cmd, self._env(), BUILD_TIMEOUT, on_line)
        if code != 0:
            raise _fail(log, dockerfile, self.name)
        return BuildResult(tag, log)

    def save(self, image_ref: str) -> contextlib.AbstractContextManager[IO[bytes]]:
        """Stream ``image_ref`` as a docker-archive tar."""
        return _stream([arg.replace("{ref}", image_ref) for arg in self.save_cmd])


@dataclass(slots=True)
class DockerBuilder(CliBuilder):
    """``docker build``: BuildKit through buildx when the plugin exists, else the legacy builder."""

    name: str = "docker"
    # --force-rm: the legacy builder otherwise keeps a failed step's container (one per failed build).
    build_cmd: tuple[str, ...] = ("docker", "build", "--force-rm")
    save_cmd: tuple[str, ...] = ("docker", "save", "{ref}")
    info_cmd: tuple[str, ...] = ("docker", "info", "--format", "{{.ServerVersion}}")

    def buildkit(self) -> bool:
        """True when the buildx plugin is installed (the 28.x CLI needs it for BuildKit)."""
        done = _probe(("docker", "buildx", "version"))
        return done is not None and done.returncode == 0

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # Without buildx, DOCKER_BUILDKIT=1 makes the CLI fail outright: use the legacy builder.
        env["DOCKER_BUILDKIT"] = "1" if self.buildkit() else "0"
        env["BUILDKIT_PROGRESS"] = "plain"
        return env


def podman_builder() -> CliBuilder:
    """Podman: build into local storage and ``podman save`` as a docker archive."""
    return CliBuilder("podman", ("podman", "build"),
                      ("podman", "save", "--format", "docker-archive", "{ref}"),
                      ("podman", "info", "--format", "{{.Version.Version}}"))


def buildah_builder() -> CliBuilder:
    """Buildah: ``buildah build`` and push to a docker archive on stdout."""
    return CliBuilder("buildah", ("buildah", "build"),
                      ("buildah", "push", "{ref}", "docker-archive:/dev/stdout"),
                      ("buildah", "info"))


def select_builder(name: str = "auto") -> CliBuilder:
    """Return the named builder, or with ``auto`` the first of docker, podman, buildah that works."""
    candidates = {"docker": DockerBuilder(), "podman": podman_builder(), "buildah": buildah_builder()}
    if name != "auto":
        if name not in candidates:
            raise BuildError(f"unknown builder {name!r} (choose auto, docker, podman or buildah)")
        chosen = [candidates[name]]
    else:
        chosen = list(candidates.values())
    problems = []
    for builder in chosen:
        problem = builder.problem()
        if problem is None:
            return builder
        problems.append(f"{builder.name}: {problem}")
    raise BuildError(f"no working builder found ({'; '.join(problems)})")
