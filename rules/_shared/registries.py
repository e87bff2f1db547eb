"""The registries ``disallowed-registry`` allows, wherever an image reference is written.

The rule has a Dockerfile side (DF1012, on ``FROM`` and ``COPY --from``) and a manifest side
(MF1003, on an image scalar) under one name, so one ``[tool.pylint-image.rules.disallowed-registry]``
table governs both: they take the one options class here, and read the list, match host names
and find a reference's registry through the helpers here.
"""

from __future__ import annotations

import re

from pylint_image.linter import Context, Reference

from . import frozen

# The list used until the user gives one: well-known public registries.
PUBLIC_REGISTRIES = (
    "docker.io", "ghcr.io", "quay.io", "gcr.io", "*.gcr.io", "*.pkg.dev", "mcr.microsoft.com",
    "public.ecr.aws", "registry.k8s.io", "nvcr.io", "registry.access.redhat.com", "registry.redhat.io",
    "registry.gitlab.com", "registry.fedoraproject.org", "cgr.dev", "docker.elastic.co",
    "container-registry.oracle.com", "registry.suse.com", "registry.opensuse.org", "dhi.io")
# Docker Hub's other names: all of them are ``docker.io`` in a list and in a reference.
_HUB = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "hub.docker.com"})


@frozen
class RegistryOptions:
    """Options of disallowed-registry (DF1012 and MF1003)."""

    allowed: tuple[str, ...] = ()


def registry_matcher(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for the allowed entries; ``*`` does not cross a ``.`` or ``:``."""
    entries = ("docker.io" if e in _HUB else e for e in (p.strip().lower().rstrip("/") for p in patterns))
    return re.compile("(?:" + "|".join(re.escape(e).replace(r"\*", "[^.:]*") for e in entries if e) + r")\Z")


def allowed_registries(ctx: Context) -> re.Pattern[str]:
    """The matcher of the registries the rule allows: its ``allowed`` list, else :data:`PUBLIC_REGISTRIES`."""
    options: RegistryOptions | None = ctx.options
    return registry_matcher(tuple(options.allowed) if options is not None and options.allowed else PUBLIC_REGISTRIES)


def registry_of(reference: str) -> str | None:
    """The registry host of an image reference (``docker.io`` for Docker Hub), or None when a variable hides it."""
    if "$" in reference.split("/", 1)[0]:
        return None
    # Only the domain is needed, and it is known even when a variable hides the rest.
    domain = Reference.split(reference)[0].lower()
    return "docker.io" if domain in _HUB else domain
