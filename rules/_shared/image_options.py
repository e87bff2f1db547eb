"""The options of the rules that judge an image reference wherever it is written.

``unpinned-image-tag`` and ``unofficial-base-image`` each have a Dockerfile rule (DF1001,
DF1002, on a ``FROM``) and a manifest rule (MF1001, MF1002, on an image scalar) under one
name, so one ``[tool.pylint-image.rules.NAME]`` table configures both.  Both rules of a name
take the one options class here and read it, with the top-level ``trusted-registries``,
through the one helper here: a setting cannot mean one thing for a Dockerfile and another
for a manifest.
"""

from __future__ import annotations

from pylint_image.linter import Context, Reference

from . import frozen
from .images import unpinned_tag
from .publishers import ChecksVerifiedChoice, Unofficial, judge


@frozen
class PinOptions:
    """Options of unpinned-image-tag (DF1001 and MF1001)."""

    require_digest: bool = False


@frozen
class TrustOptions(ChecksVerifiedChoice):
    """Options of unofficial-base-image (DF1002 and MF1002)."""

    trusted: tuple[str, ...] = ()
    verified_publishers: str = "info"


def pin_problem(image: Reference, ctx: Context) -> str | None:
    """What is wrong with how ``image`` is pinned, as the end of a finding's sentence; None when nothing.

    No tag or ``latest``: ``"uses the tag 'latest': pin a version tag or a digest"``; with
    ``require-digest``, a tag without a digest: ``"is not pinned by digest (require-digest)"``.
    """
    if image.digest:
        return None
    why = unpinned_tag(image)
    if why is not None:
        return f"uses {why}: pin a version tag or a digest"
    options: PinOptions | None = ctx.options
    if options is not None and options.require_digest:
        return "is not pinned by digest (require-digest)"
    return None


def trusted_entries(ctx: Context) -> tuple[str, ...]:
    """The registries and namespaces trusted: the config's ``trusted-registries``, then the rule's ``trusted``."""
    options: TrustOptions | None = ctx.options
    return (*ctx.settings.trusted_registries, *(options.trusted if options is not None else ()))


def unofficial(image: Reference, ctx: Context) -> Unofficial | None:
    """The verdict of unofficial-base-image on ``image`` under the rule's settings; None when fine."""
    options: TrustOptions | None = ctx.options
    return judge(image, trusted_entries(ctx), options.verified_publishers if options is not None else "info")
