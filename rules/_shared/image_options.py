"""The options of the rules that judge an image reference wherever it is written.

``unpinned-image-tag`` and ``unofficial-base-image`` each have a Dockerfile rule (DF1001,
DF1002, on a ``FROM``), a manifest rule (MF1001, MF1002, on an image scalar) and an image
rule (IM1002, IM1001, on a built image's base) under one name, so one
``[tool.pylint-image.rules.NAME]`` table configures all three.  The rules of a name take the
one options class here and read it, with the top-level ``trusted-registries``, through the
one helper here: a setting cannot mean one thing for a Dockerfile, another for a manifest
and a third for an image.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pylint_image.linter import Context, Reference

from . import frozen
from .images import unpinned_tag
from .publishers import ChecksVerifiedChoice, Unofficial, judge

if TYPE_CHECKING:
    from pylint_image.linter import Image


@frozen
class PinOptions:
    """Options of unpinned-image-tag (DF1001, MF1001 and IM1002)."""

    require_digest: bool = False


@frozen
class TrustOptions(ChecksVerifiedChoice):
    """Options of unofficial-base-image (DF1002, MF1002 and IM1001)."""

    trusted: tuple[str, ...] = ()
    verified_publishers: str = "info"


def pin_problem(image: Reference, ctx: Context, *, built: Image | None = None) -> str | None:
    """What is wrong with how ``image`` is pinned, as the end of a finding's sentence; None when nothing.

    No tag or ``latest``: ``"uses the tag 'latest': pin a version tag or a digest"``; with
    ``require-digest``, a tag without a digest: ``"is not pinned by digest (require-digest)"``.

    ``built`` is the image built on ``image`` when the reference is a built image's base
    (IM1002): the base digest it records (``org.opencontainers.image.base.digest``) satisfies
    ``require-digest`` too, and without one the sentence says that the image records none.
    """
    if image.digest:
        return None
    why = unpinned_tag(image)
    if why is not None:
        return f"uses {why}: pin a version tag or a digest"
    options: PinOptions | None = ctx.options
    if options is None or not options.require_digest:
        return None
    if built is None:
        return "is not pinned by digest (require-digest)"
    if built.base_digest:
        return None
    return "is not pinned by digest and the image records no base digest (require-digest)"


def trusted_entries(ctx: Context) -> tuple[str, ...]:
    """The registries and namespaces trusted: the config's ``trusted-registries``, then the rule's ``trusted``."""
    options: TrustOptions | None = ctx.options
    return (*ctx.settings.trusted_registries, *(options.trusted if options is not None else ()))


def unofficial(image: Reference, ctx: Context) -> Unofficial | None:
    """The verdict of unofficial-base-image on ``image`` under the rule's settings; None when fine."""
    options: TrustOptions | None = ctx.options
    return judge(image, trusted_entries(ctx), options.verified_publishers if options is not None else "info")
