"""Serialize sarif-om's attrs objects to JSON-ready dicts (sarif-om ships no serializer)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import attr

# Fields whose schema default equals a value we still want written out: GitHub reads
# `level` (a result or rule at the default "warning" would otherwise lose it) and a
# `ruleIndex` of 0 is meaningful; the others keep sarif-om's drop-the-default rule.
ALWAYS_EMIT = frozenset({"level", "rule_index"})


def to_json(obj: object) -> object:
    """Return ``obj`` as plain JSON values, renaming fields by their schema property name.

    ``None`` values and values equal to the field's default are dropped (e.g. ``Result.kind
    = "fail"``, ``rank = -1.0``, ``Location.id = -1``, ``Run.language = "en-US"``),
    except for the fields in ``ALWAYS_EMIT``.  Plain dicts (property bags) pass through.
    """
    import attr  # lazily: attrs costs ~15 ms to import and only SARIF output needs it

    cls: Any = type(obj)
    if attr.has(cls):
        out: dict[str, object] = {}
        for field in attr.fields(cls):
            value = getattr(obj, field.name)
            if value is None or (field.name not in ALWAYS_EMIT and _is_default(field, value)):
                continue
            out[field.metadata.get("schema_property_name", field.name)] = to_json(value)
        return out
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    return obj


def _is_default(field: attr.Attribute, value: object) -> bool:
    import attr

    default: Any = field.default
    if default is attr.NOTHING:
        return False
    if isinstance(default, attr.Factory):  # type: ignore[arg-type]
        default = default.factory() if not default.takes_self else attr.NOTHING
    # type() check: True == 1 and 0 == False must not count as "equal to the default".
    return type(value) is type(default) and value == default
