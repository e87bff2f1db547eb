"""``@frozen``: frozen, slotted value classes that cost a seventh of a dataclass to define.

Every ``pylint-image`` run defines ~60 model classes before it lints a line.  The stdlib
``@dataclass(frozen=True, slots=True)`` compiles six generated methods per class (about
0.5 ms each class, ~40 ms of a ~120 ms cold start); this decorator compiles one source
per class.  Instances behave the same: keyword or positional ``__init__``, ``__eq__`` and
``__hash__`` over the fields (``field(compare=False)`` respected), ``order=True``
comparisons, ``FrozenInstanceError`` on assignment, pickling, and real
``dataclasses.Field`` objects in ``__dataclass_fields__`` so that ``dataclasses.fields``,
``dataclasses.replace`` and ``dataclasses.is_dataclass`` keep working.

Not supported (and not used here): inheritance between frozen classes, ``InitVar``,
``__post_init__``, ``kw_only``, ``field(init=False)``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, TypeVar, dataclass_transform, overload

T = TypeVar("T")
_FIELD = dataclasses._FIELD  # type: ignore[attr-defined]  # the marker fields() looks for
_MISSING = dataclasses.MISSING


def _no_setattr(self: object, name: str, value: object) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _no_delattr(self: object, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _collect(cls: type) -> dict[str, dataclasses.Field]:
    """The class's own annotated fields, as real dataclasses.Field objects."""
    fields: dict[str, dataclasses.Field] = {}
    for name, typ in cls.__dict__.get("__annotations__", {}).items():
        if "ClassVar" in str(typ):
            continue
        value = cls.__dict__.get(name, _MISSING)
        f = value if isinstance(value, dataclasses.Field) else dataclasses.field(default=value)
        f.name, f.type, f._field_type = name, typ, _FIELD  # type: ignore[attr-defined]
        fields[name] = f
    return fields


def _source(fields: dict[str, dataclasses.Field], eq: bool, order: bool) -> tuple[str, dict[str, Any]]:
    """One module source defining every generated method, and the globals it needs."""
    glb: dict[str, Any] = {"_set": object.__setattr__, "_M": _MISSING}
    params, body = [], []
    for n, f in fields.items():
        if f.default is not _MISSING:
            glb[f"_d_{n}"] = f.default
            params.append(f"{n}=_d_{n}")
            body.append(f"    _set(self, {n!r}, {n})")
        elif f.default_factory is not _MISSING:
            glb[f"_f_{n}"] = f.default_factory
            params.append(f"{n}=_M")
            body.append(f"    _set(self, {n!r}, _f_{n}() if {n} is _M else {n})")
        else:
            params.append(n)
            body.append(f"    _set(self, {n!r}, {n})")
    lines = [f"def __init__(self, {', '.join(params)}):", *(body or ["    pass"])]
    key = "(" + "".join(f"self.{n}, " for n, f in fields.items() if f.compare) + ")"
    other = key.replace("self.", "other.")
    if eq:
        lines += ["def __eq__(self, other):",
                  "    if other.__class__ is self.__class__:",
                  f"        return {key} == {other}",
                  "    return NotImplemented",
                  "def __hash__(self):",
                  f"    return hash({key})"]
    if order:
        for name, op in (("__lt__", "<"), ("__le__", "<="), ("__gt__", ">"), ("__ge__", ">=")):
            lines += [f"def {name}(self, other):",
                      "    if other.__class__ is self.__class__:",
                      f"        return {key} {op} {other}",
                      "    return NotImplemented"]
    return "\n".join(lines) + "\n", glb


@overload
def frozen(cls: type[T], /) -> type[T]: ...
@overload
def frozen(*, eq: bool = True, order: bool = False) -> Callable[[type[T]], type[T]]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def frozen(cls: type[T] | None = None, *, eq: bool = True, order: bool = False) -> Any:
    """Make ``cls`` a frozen, slotted value class (``@frozen`` or ``@frozen(order=True)``)."""

    def wrap(cls: type[T]) -> type[T]:
        fields = _collect(cls)
        names = tuple(fields)
        src, glb = _source(fields, eq, order)
        generated: dict[str, Callable[..., Any]] = {}
        exec(compile(src, f"<frozen {cls.__module__}.{cls.__qualname__}>", "exec"), glb, generated)
        ns = {k: v for k, v in cls.__dict__.items()
              if k not in fields and k not in ("__dict__", "__weakref__")}
        ns.update(generated)
        ns.update(__slots__=names, __dataclass_fields__=fields, __match_args__=names,
                  __setattr__=_no_setattr, __delattr__=_no_delattr,
                  __repr__=_repr(names), __getstate__=_getstate(names), __setstate__=_setstate(names))
        # A slotted class must be created anew: __slots__ only works at class creation.
        new = type(cls)(cls.__name__, cls.__bases__, ns)
        new.__qualname__ = cls.__qualname__
        return new

    return wrap if cls is None else wrap(cls)


def _repr(names: tuple[str, ...]) -> Callable[[object], str]:
    def __repr__(self: object) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        return f"{type(self).__qualname__}({inner})"
    return __repr__


def _getstate(names: tuple[str, ...]) -> Callable[[object], tuple]:
    def __getstate__(self: object) -> tuple:
        return tuple(getattr(self, n) for n in names)
    return __getstate__


def _setstate(names: tuple[str, ...]) -> Callable[[object, tuple], None]:
    def __setstate__(self: object, state: tuple) -> None:
        for n, v in zip(names, state):
            object.__setattr__(self, n, v)
    return __setstate__
