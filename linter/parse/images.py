"""Parses ``[registry/][namespace/]repo[:tag][@digest]`` image references after ARG resolution."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ..expansion import ExpansionBudget
from ..model.dockerfile import ImageRef
from .variables import expand

_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})


def parse_image_ref(
    raw: str,
    scope: Mapping[str, str | None] | None = None,
    earlier_stages: Collection[str] = (),
    budget: ExpansionBudget | None = None,
) -> ImageRef:
    """Classify the image reference ``raw`` of a FROM.

    ``scope`` holds the ARG values to resolve first; ``earlier_stages`` the lower-cased names
    of the stages defined before this FROM (a match makes it a stage alias); ``budget`` the
    expansion budget of the parse this is part of.
    """
    resolved = expand(raw, scope or {}, budget=budget)
    has_variables = "$" in resolved
    lowered = resolved.lower()
    if lowered == "scratch":
        return ImageRef(raw, resolved, None, "", None, None, True, False, has_variables)
    if lowered in earlier_stages:
        return ImageRef(raw, resolved, None, resolved, None, None, False, True, has_variables)
    registry, repository, tag, digest = split_reference(resolved)
    return ImageRef(raw, resolved, registry, repository, tag, digest, False, False, has_variables)


def split_reference(ref: str) -> tuple[str | None, str, str | None, str | None]:
    """Split a reference into (registry or None for Docker Hub, repository, tag, digest)."""
    name, at, digest = ref.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    registry = None
    first, sep, remainder = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, name = first, remainder
    if registry is not None and registry.lower() in _HUB_ALIASES:
        registry = None
    if registry is None and "/" not in name and name:
        name = "library/" + name
    return registry, name, tag, digest if at else None
