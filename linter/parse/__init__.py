"""Dockerfile parsing: ``parse_dockerfile(path | text) -> Dockerfile`` and its helpers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..model.dockerfile import Dockerfile
from .dockerfile import build_dockerfile
from .images import parse_image_ref
from .reader import read_dockerfile_text
from .variables import expand, global_scope, scope_at

__all__ = ["expand", "global_scope", "parse_dockerfile", "parse_image_ref", "scope_at"]


def parse_dockerfile(
    path: str | Path, text: str | None = None, *, build_args: Mapping[str, str] | None = None
) -> Dockerfile:
    """Parse a Dockerfile (read from ``path`` unless ``text`` is given).

    Raises InputError when the file cannot be read as UTF-8 text and ParseError (with the
    line) when BuildKit would reject it. An empty or comment-only file gives a Dockerfile
    with no stages.
    """
    path = Path(path)
    if text is None:
        text = read_dockerfile_text(path)
    return build_dockerfile(path, text, build_args)
