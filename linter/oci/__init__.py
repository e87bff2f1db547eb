"""Read built images (OCI layouts, docker-save archives and streams) into ``model.Image``.

Pure parsing: nothing here spawns a process or writes to disk.  A ``docker-daemon:NAME``
source is the caller's to open (``runner/source.py`` runs ``docker save NAME`` and passes
its stdout to :func:`load_image_stream`); :func:`parse_source` tells the caller which kind
it has.  ``platform`` picks the image of a multi-platform index (:mod:`.multiarch`; None
is this host's platform).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Literal

from pylint_image.linter.model.image import Image
from pylint_image.linter.oci.hashio import Reader
from pylint_image.linter.oci.layer import DEFAULT_CONTENT_CAP, ContentNeeds, NeedsLike
from pylint_image.linter.oci.multiarch import Platform, parse_platform
from pylint_image.linter.oci.source import ImageSource
from pylint_image.linter.oci.save_stream import load_image_stream as _load_stream
from pylint_image.linter.model.frozen import frozen

__all__ = ["ContentNeeds", "ImageSource", "Platform", "SourceSpec", "load_image", "load_image_stream",
           "parse_platform", "parse_source"]

DAEMON_PREFIX = "docker-daemon:"


@frozen
class SourceSpec:
    """What a SOURCE argument names: a path on disk, or an image in the local daemon."""

    kind: Literal["path", "daemon"]
    target: str


def parse_source(source: str) -> SourceSpec:
    """Classify ``docker-daemon:NAME``, ``oci:PATH``, ``docker-archive:PATH`` or a plain path."""
    if source.startswith(DAEMON_PREFIX):
        return SourceSpec("daemon", source[len(DAEMON_PREFIX):])
    for prefix in ("oci:", "oci-archive:", "docker-archive:"):
        if source.startswith(prefix):
            return SourceSpec("path", source[len(prefix):])
    return SourceSpec("path", source)


def load_image(source: str | os.PathLike[str],
               needs: Iterable[NeedsLike] | NeedsLike | ContentNeeds | None = None,
               ref: str = "", max_content: int = DEFAULT_CONTENT_CAP,
               platform: Platform | None = None) -> Image:
    """Load an OCI layout directory or docker-save archive (classic or OCI-in-tar) from disk.

    ``needs`` (rules' ``Needs`` objects or a ContentNeeds) selects the small regular files
    whose bytes are kept for ``Image.files.read``.  Raises SourceError on anything
    unreadable, missing or whose digest does not match.
    """
    return ImageSource(source, ref, platform).load(_needs(needs, max_content))


def load_image_stream(stream: Reader,
                      needs: Iterable[NeedsLike] | NeedsLike | ContentNeeds | None = None,
                      ref: str = "", max_content: int = DEFAULT_CONTENT_CAP,
                      platform: Platform | None = None) -> Image:
    """Load an image from a sequential docker-save tar stream (e.g. ``docker save`` stdout)."""
    return _load_stream(stream, ref, _needs(needs, max_content), name=ref, platform=platform)


def _needs(needs: Iterable[NeedsLike] | NeedsLike | ContentNeeds | None,
           max_content: int) -> ContentNeeds:
    if isinstance(needs, ContentNeeds):
        return needs
    return ContentNeeds.of(needs, max_content)
