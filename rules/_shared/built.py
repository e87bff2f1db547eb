"""Helpers for IMAGE rules: the base a built image came from, and where to report a finding."""

from __future__ import annotations

from typing import Any

from pylint_image.linter import Context, ImageLocation, Instruction, SourceLocation, Span

from . import anchor
from .images import real_base_stage
from pylint_image.rules._shared import frozen


@frozen
class BuiltBase:
    """The base image of a built image: its reference, where we learnt it, and its FROM line."""

    reference: str
    origin: str  # "annotation" (OCI base.name annotation or label) or "Dockerfile"
    from_instruction: Instruction | None  # the FROM that names the real base, when a Dockerfile is linked


def built_base(image: Any, ctx: Context) -> BuiltBase | None:
    """Return the base image from ``org.opencontainers.image.base.name``, else the linked Dockerfile.

    The Dockerfile fallback follows stage aliases (``FROM build``) to the FROM naming a real
    image; scratch and unresolved ``$VAR`` bases give None (nothing to judge).
    """
    stage = real_base_stage(ctx.dockerfile) if ctx.dockerfile is not None else None
    inst = stage.from_instruction if stage is not None else None
    if image.base_name:
        return BuiltBase(image.base_name, "annotation", inst)
    if stage is None or stage.base.is_scratch or stage.base.is_stage_alias or stage.base.has_variables:
        return None
    return BuiltBase(stage.base.resolved or stage.base.raw, "Dockerfile", inst)


def from_span(instruction: Instruction) -> Span:
    """The image word of a FROM (what DF1001/DF1002 point at), else the instruction."""
    return anchor(instruction, instruction.args[0].span if instruction.args else None)


def image_location(image: Any, ctx: Context, layer: int | None, span: Span | None = None) -> ImageLocation:
    """An ImageLocation (no path) at ``layer`` (-1: the top one), with ``span`` in the linked Dockerfile.

    The layer anchor lets provenance and the fixture harness place config-level findings;
    an explicit span wins over provenance.
    """
    digest = image.layers[layer].diff_id if layer is not None and image.layers else None
    source = SourceLocation(ctx.dockerfile.path, span) if span is not None and ctx.dockerfile else None
    return ImageLocation(ctx.image_name or image.ref, None, digest, source)
