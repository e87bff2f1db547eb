"""Helpers for IMAGE rules that judge files layer by layer: where each copy lives, what later
layers did to it, and which layers the base image made."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pylint_image.linter import Context, ImageLocation

INHERITED = "inherited from the base image"


def base_layers(ctx: Context) -> frozenset[int]:
    """The layers the base image made (known with a linked Dockerfile, else none)."""
    return ctx.provenance.base_layers if ctx.provenance is not None else frozenset()


def at_layer(image: Any, ctx: Context, layer: int, path: str | None = None) -> ImageLocation:
    """An ImageLocation at ``path`` in layer ``layer`` (provenance maps it to a Dockerfile line)."""
    digest = image.layers[layer].diff_id if 0 <= layer < len(image.layers) else None
    return ImageLocation(ctx.image_name or image.ref, path, digest)


def still_shipped(fate: Any, layer: int) -> str:
    """``, deleted by layer 3 but still in layer 1: ...`` for a copy a later layer removed, else ``""``.

    ``fate`` is the ``Shadowed`` record of that copy (``FileTree.fates()``), or None when the
    merged tree shows it.
    """
    if fate is None or fate.by_layer == layer:
        return ""  # only a duplicate entry of the same layer replaced it: the layer's copy is final
    verb = "deleted" if fate.deleted else "overwritten"
    doing = "deleting" if fate.deleted else "overwriting"
    return (f", {verb} by layer {fate.by_layer} but still in layer {layer}: "
            f"{doing} it later does not remove it from the image")


def path_list(paths: Iterable[str], limit: int = 20) -> str:
    """``a, b, c`` (sorted), or the first ``limit`` and ``and N more``."""
    items = sorted(paths)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
