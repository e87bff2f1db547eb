"""Classify base image references: official images, trusted registries, stage chains."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from pylint_image.linter import Dockerfile, ImageRef, Stage
from pylint_image.rules._shared import frozen

DOCKER_HUB = "docker.io"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})
# Public mirrors that serve the Docker Official Images under the same names.
_OFFICIAL_MIRRORS = ("public.ecr.aws/docker/library/", "mirror.gcr.io/library/", "mirror.gcr.io/")
# Docker Hub namespaces where the official images are also published per architecture.
_ARCH_NAMESPACES = ("amd64", "arm32v5", "arm32v6", "arm32v7", "arm64v8", "i386", "mips64le", "ppc64le",
                    "riscv64", "s390x", "windows-amd64")


@frozen
class ParsedImage:
    """An image reference split into parts; ``registry`` is ``docker.io`` for Docker Hub."""

    registry: str
    repository: str  # with ``library/`` for single-name Docker Hub images
    tag: str | None
    digest: str | None

    @property
    def path(self) -> str:
        """``registry/repository`` (no tag or digest)."""
        return f"{self.registry}/{self.repository}"


def parse_image(text: str) -> ParsedImage:
    """Split ``[registry/]repo[:tag][@digest]`` the way the Docker reference grammar does."""
    name, _, digest = text.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first.lower(), rest
    else:
        registry, repository = DOCKER_HUB, name
    if registry in _HUB_ALIASES:
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    return ParsedImage(registry, repository, tag, digest or None)


@lru_cache(maxsize=1)
def official_images() -> frozenset[str]:
    """Return the Docker Official Image names shipped as package data (loaded once, lazily)."""
    # A plain file beside this module (package data); importlib.resources would add ~5 ms of
    # imports (zipfile, ...) to every start for nothing: wheels install as directories.
    text = (Path(__file__).with_name("official_images.txt")).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def is_official(image: ParsedImage) -> bool:
    """True for ``library/NAME`` (or ``arm64v8/NAME``...) on Docker Hub or a known mirror, NAME official."""
    path = image.path
    hub = (f"{DOCKER_HUB}/{namespace}/" for namespace in ("library", *_ARCH_NAMESPACES))
    for prefix in (*hub, *_OFFICIAL_MIRRORS):
        if path.startswith(prefix):
            return path[len(prefix) :] in official_images()
    return False


def _components(entry: str) -> list[str]:
    """Normalize a trusted entry (``bitnami``, ``docker.io/bitnami``, ``ghcr.io/org``) to path parts."""
    entry = entry.strip().strip("/")
    first = entry.split("/", 1)[0]
    if not ("." in first or ":" in first or first == "localhost"):
        entry = f"{DOCKER_HUB}/{entry}"  # a bare namespace means Docker Hub
    parts = entry.split("/")
    if parts[0] in _HUB_ALIASES:
        parts[0] = DOCKER_HUB
    return [parts[0].lower(), *parts[1:]]


def is_trusted(image: ParsedImage, trusted: Iterable[str]) -> bool:
    """True when the image path starts with a trusted entry, compared by whole path components."""
    parts = image.path.split("/")
    for entry in trusted:
        prefix = _components(entry)
        if entry.strip() and parts[: len(prefix)] == prefix:
            return True
    return False


def image_of(ref: ImageRef) -> ParsedImage:
    """Parse the resolved text of a model ImageRef."""
    return parse_image(ref.resolved or ref.raw)


def stage_chain(dockerfile: Dockerfile, stage: Stage) -> Iterator[Stage]:
    """Yield ``stage`` and then each earlier stage it is built FROM (via stage aliases)."""
    seen: set[int] = set()
    current: Stage | None = stage
    while current is not None and current.index not in seen:
        seen.add(current.index)
        yield current
        if not current.base.is_stage_alias:
            return
        parent = dockerfile.stage(current.base.resolved or current.base.raw)
        current = parent if parent is not None and parent.index < current.index else None


def shipped_stages(dockerfile: Dockerfile) -> frozenset[int]:
    """Return the indexes of the final stage and of the stages whose layers it builds on."""
    final = dockerfile.final_stage
    return frozenset(s.index for s in stage_chain(dockerfile, final)) if final else frozenset()


def unpinned_tag(image: ParsedImage) -> str | None:
    """Why a reference floats (``"no tag"``, ``"the tag 'latest'"``); None when tagged or digest-pinned."""
    if image.digest:
        return None
    if not image.tag:
        return "no tag"
    return "the tag 'latest'" if image.tag == "latest" else None


def untrusted(image: ParsedImage, trusted: Iterable[str]) -> bool:
    """True when the image is neither a Docker Official Image nor under a trusted prefix."""
    return not (is_official(image) or is_trusted(image, trusted))


def real_base_stage(dockerfile: Dockerfile) -> Stage | None:
    """Return the stage whose FROM names the image the final stage is really built on."""
    final = dockerfile.final_stage
    return list(stage_chain(dockerfile, final))[-1] if final else None
