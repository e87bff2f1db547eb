"""Judge base images (trusted prefixes, floating tags) and follow stage chains.

Parsing and "official" are the linter's: :class:`pylint_image.linter.Reference`
(``Reference.parse``, ``.is_official``, ``.upstream``); nothing here parses a reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pylint_image.linter import Dockerfile, Reference, Stage


def _components(name: str) -> tuple[str, ...]:
    """``domain/path`` as components, the domain lower-cased (host names ignore case)."""
    domain, _, path = name.partition("/")
    return (domain.lower(), *path.split("/"))


def _trusted_prefix(entry: str) -> tuple[str, ...]:
    """A trusted entry (``bitnami``, ``docker.io/bitnami``, ``ghcr.io/org``) as name components.

    The entry is read as the start of a reference: a bare namespace means Docker Hub, and
    Docker Hub's other names and mirrors mean Docker Hub, as they do for an image.
    """
    # "/x": a whole component after the entry, so a bare ``bitnami`` is a namespace and
    # not the single-name image ``library/bitnami``.
    domain, path, _, _ = Reference.split(entry.strip().strip("/") + "/x")
    return _components(Reference(domain, path).upstream.name)[:-1]


def is_trusted(image: Reference, trusted: Iterable[str]) -> bool:
    """True when the image's name (or the Docker Hub name a mirror serves) starts with a
    trusted entry, compared by whole path components."""
    names = {_components(image.name), _components(image.upstream.name)}
    for entry in trusted:
        if entry.strip():
            prefix = _trusted_prefix(entry)
            if any(name[: len(prefix)] == prefix for name in names):
                return True
    return False


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


def unpinned_tag(image: Reference) -> str | None:
    """Why a reference floats (``"no tag"``, ``"the tag 'latest'"``); None when tagged or digest-pinned."""
    if image.digest:
        return None
    if not image.tag:
        return "no tag"
    return "the tag 'latest'" if image.tag == "latest" else None


def untrusted(image: Reference, trusted: Iterable[str]) -> bool:
    """True when the image is neither a Docker Official Image nor under a trusted prefix."""
    return not (image.is_official or is_trusted(image, trusted))


def real_base_stage(dockerfile: Dockerfile) -> Stage | None:
    """Return the stage whose FROM names the image the final stage is really built on."""
    final = dockerfile.final_stage
    return list(stage_chain(dockerfile, final))[-1] if final else None
