"""``docker image inspect`` straight from the engine's unix socket, when that is what the CLI would use.

The warm ``docker-daemon:`` path costs one inspect; the docker CLI needs 10-20 ms to start
and read its config, the socket answers in about 1 ms.  Only the plain local setup is
handled (no DOCKER_HOST other than unix://, no context, no TLS): anything else, and any
answer other than 200, returns None so that the caller runs the CLI, which then gives the
same result, or the error message, the user would see from docker.

:func:`engine_error` sorts the CLI's error messages: an engine that cannot be reached (no
daemon, no permission on its socket, an unknown context) is :class:`EngineUnavailable`
(exit code 3, the host's problem), anything else, such as a missing image, a SourceError.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from pylint_image.linter.errors import EngineUnavailable, SourceError

DEFAULT_SOCKET = "/var/run/docker.sock"
_TIMEOUT = 10.0
_MAX_BYTES = 16 << 20   # an inspect document is kilobytes; more is not an engine talking
# What the docker (20.10 to 28) and podman CLIs say when there is no engine to talk to.
_UNREACHABLE = re.compile(
    r"Cannot connect to the Docker daemon|Is the docker daemon running|error during connect"
    r"|permission denied while trying to connect to the Docker daemon|failed to connect to the docker API"
    r"|context \S+ (does not exist|not found)|Cannot connect to Podman|unable to connect to Podman",
    re.IGNORECASE)


def unreachable(message: str) -> bool:
    """True when an engine CLI's error message says that no engine could be reached."""
    return _UNREACHABLE.search(message) is not None


def engine_error(message: str, where: str | None = None) -> SourceError:
    """The error for an engine CLI's failure: EngineUnavailable when no engine answered, else SourceError.

    ``message`` is kept as the engine wrote it (its last line, where the CLI says what went wrong).
    """
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    text = next((line for line in reversed(lines) if unreachable(line)), lines[-1] if lines else "")
    if unreachable(text):
        return EngineUnavailable(text, where)
    return SourceError(text or "the engine gave no reason", where)


def socket_path(environ: Mapping[str, str] | None = None) -> str | None:
    """The unix socket the docker CLI would talk to, or None when it would use something else."""
    env = os.environ if environ is None else environ
    host = env.get("DOCKER_HOST", "")
    if host and not host.startswith("unix://"):
        return None
    if env.get("DOCKER_CONTEXT", "default") != "default":
        return None
    if not host and _config_context(env) not in (None, "default"):
        return None
    return host[len("unix://"):] if host else DEFAULT_SOCKET


def _config_context(env: Mapping[str, str]) -> str | None:
    """``currentContext`` of the CLI's config.json (``docker context use`` writes it)."""
    try:
        config_dir = Path(env.get("DOCKER_CONFIG") or Path(env.get("HOME") or Path.home()) / ".docker")
        config = json.loads((config_dir / "config.json").read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RuntimeError):   # RuntimeError: no home directory at all
        return "unreadable"   # whatever the CLI makes of it, we cannot know: use the CLI
    current = config.get("currentContext") if isinstance(config, dict) else None
    return current if isinstance(current, str) and current else None


def inspect_image(ref: str, environ: Mapping[str, str] | None = None,
                  timeout: float = _TIMEOUT) -> dict[str, object] | None:
    """The engine's inspect document of image ``ref``, or None (ask the CLI instead).

    ``timeout`` bounds each socket operation (a hint to the user can afford a short one).
    """
    path = socket_path(environ)
    if path is None:
        return None
    request = f"GET /images/{quote(ref, safe='/:@')}/json HTTP/1.0\r\nHost: docker\r\n\r\n"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            sock.sendall(request.encode())
            raw = _read_all(sock)
    except OSError:
        return None   # no socket, no permission, engine gone: the CLI says which
    return _parse_response(raw)


def _read_all(sock: socket.socket) -> bytes:
    chunks, size = [], 0
    while size <= _MAX_BYTES:
        data = sock.recv(1 << 16)
        if not data:
            break
        chunks.append(data)
        size += len(data)
    return b"".join(chunks)


def _parse_response(raw: bytes) -> dict[str, object] | None:
    """The JSON body of a ``200`` HTTP/1.x answer with a plain body; None for anything else."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split()
    if not sep or len(status) < 2 or not status[0].startswith("HTTP/1.") or status[1] != "200":
        return None
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    if headers.get("transfer-encoding", "identity").lower() != "identity":
        return None   # an HTTP/1.0 request is answered unchunked; be safe if it is not
    length = headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) != len(body)):
        return None
    try:
        found = json.loads(body)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
