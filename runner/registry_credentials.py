"""Registry credentials from docker's ``config.json``, for the registry client's auth challenges.

Reads only the ``auths`` table (Basic ``user:password`` per registry host).  Credential
helpers (``credsStore``/``credHelpers``) would mean running programs; they are not consulted.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

LOG = logging.getLogger(__name__)
CONFIG_LIMIT = 1 << 20  # bytes of config.json read at most


class Credentials:
    """Basic credentials per registry host, read from docker's ``config.json`` ``auths``."""

    # Docker Hub's credentials are filed under any of its names (``docker login`` writes
    # ``https://index.docker.io/v1/``) and asked for by its API host.
    _HUB = ("registry-1.docker.io", "index.docker.io", "docker.io")

    def __init__(self, auths: dict[str, str]) -> None:
        self._auths = auths

    @classmethod
    def from_docker_config(cls, path: Path | None = None) -> Credentials:
        """Read ``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``; empty when absent."""
        if path is None:
            base = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
            path = Path(base) / "config.json"
        try:
            with path.open("rb") as handle:
                doc = json.loads(handle.read(CONFIG_LIMIT))
        except FileNotFoundError:
            return cls({})
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            # A broken config must not stop an anonymous pull: warn and go on without it.
            LOG.warning("%s: ignored (%s)", path, exc)
            return cls({})
        auths = doc.get("auths") if isinstance(doc, dict) else None
        found: dict[str, str] = {}
        for key, entry in (auths.items() if isinstance(auths, dict) else ()):
            value = _basic_value(entry)
            if value:
                found[_registry_key(str(key))] = value
        return cls(found)

    def basic(self, netloc: str) -> str | None:
        """Return the base64 ``user:password`` for a registry host, or None."""
        key = netloc.lower()
        if key in self._HUB:
            return next((self._auths[h] for h in self._HUB if h in self._auths), None)
        return self._auths.get(key)


def _registry_key(key: str) -> str:
    """``https://host:port/v1/`` and ``host:port`` both name the registry ``host:port``."""
    if "://" in key:
        key = urlsplit(key).netloc
    return key.split("/", 1)[0].lower()


def _basic_value(entry: object) -> str:
    if not isinstance(entry, dict):
        return ""
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        return auth
    user, password = entry.get("username"), entry.get("password")
    if isinstance(user, str) and isinstance(password, str) and user:
        return base64.b64encode(f"{user}:{password}".encode()).decode()
    return ""
