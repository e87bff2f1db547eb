"""Classifies the image word of a FROM (scratch, stage alias, image reference) after ARG resolution.

The reference itself is parsed by :meth:`pylint_image.linter.reference.Reference.parse`,
the project's one image-reference parser.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ..expansion import ExpansionBudget
from ..model.dockerfile import ImageRef
from ..model.span import Span
from ..reference import InvalidReference, Reference
from .variables import expand


def parse_image_ref(
    raw: str,
    scope: Mapping[str, str | None] | None = None,
    earlier_stages: Collection[str] = (),
    budget: ExpansionBudget | None = None,
    span: Span | None = None,
) -> ImageRef:
    """Classify the image reference ``raw`` of a FROM.

    ``scope`` holds the ARG values to resolve first; ``earlier_stages`` the lower-cased names
    of the stages defined before this FROM (a match makes it a stage alias); ``budget`` the
    expansion budget of the parse this is part of; ``span`` where the word is in the file.
    """
    resolved = expand(raw, scope or {}, budget=budget)
    has_variables = "$" in resolved
    lowered = resolved.lower()
    if lowered == "scratch":
        return ImageRef(raw, resolved, None, True, False, has_variables, span)
    if lowered in earlier_stages:
        return ImageRef(raw, resolved, None, False, True, has_variables, span)
    reference = None
    if not has_variables:
        try:
            reference = Reference.parse(resolved)
        except InvalidReference:
            pass  # BuildKit refuses it when it builds; the rules judge only what they can read
    return ImageRef(raw, resolved, reference, False, False, has_variables, span)
