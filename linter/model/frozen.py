"""``@frozen``: frozen, slotted value classes that cost a fraction of a dataclass to define.

Internal to pylint-image: plugins use ``dataclasses.dataclass(frozen=True)``.

Every ``pylint-image`` run defines ~60 model classes before it lints a line.  The stdlib
``@dataclass(frozen=True, slots=True)`` compiles six generated methods per class (about
0.5 ms each class, ~40 ms of a ~120 ms cold start); this decorator compiles one source
per class.  Instances behave the same (``tests/linter/test_frozen.py`` compares the two
field by field): keyword or positional ``__init__`` with the same signature, ``__eq__``
and ``__hash__`` over the fields (``field(compare=False)`` and ``field(hash=...)``
respected), ``order=True`` comparisons, ``__repr__`` (``field(repr=False)`` respected),
``FrozenInstanceError`` on assignment and deletion, pickling, ``__match_args__``,
``__slots__``, and real ``dataclasses.Field`` objects in ``__dataclass_fields__`` so that
``dataclasses.fields``, ``replace``, ``asdict``, ``astuple`` and ``is_dataclass`` work.
Methods the class body defines itself (``__repr__``, ``__eq__``, ...) are kept, as
dataclasses keeps them.

What it does not support raises ``TypeError`` when the class is defined, instead of
misbehaving later: inheriting from a class with fields (``dataclasses`` or ``@frozen``),
zero-argument ``super()`` or ``__class__`` in a method (the cell would point at the
discarded class), ``InitVar``, ``__post_init__``, ``field(init=False)``, ``kw_only``,
a class-defined ``__slots__``, ``__setattr__`` or ``__delattr__``.  As in dataclasses, a mutable default (a list, dict, set or any unhashable
value) raises ``ValueError`` (use ``default_factory``), and ``order=True`` needs ``eq``.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any, Callable, TypeVar, dataclass_transform, overload

T = TypeVar("T")
_FIELD = dataclasses._FIELD  # type: ignore[attr-defined]  # the marker fields() looks for
_FACTORY = dataclasses._HAS_DEFAULT_FACTORY  # type: ignore[attr-defined]  # shown as <factory>
_MISSING = dataclasses.MISSING
_ORDER = (("__lt__", "<"), ("__le__", "<="), ("__gt__", ">"), ("__ge__", ">="))


def _no_setattr(self: object, name: str, value: object) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _no_delattr(self: object, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _unsupported(cls: type, what: str) -> TypeError:
    return TypeError(f"@frozen class {cls.__qualname__}: {what} is not supported; "
                     "use dataclasses.dataclass(frozen=True, slots=True)")


def _collect(cls: type) -> dict[str, dataclasses.Field]:
    """The class's own annotated fields, as real dataclasses.Field objects."""
    own = cls.__dict__
    for base in cls.__mro__[1:-1]:
        if getattr(base, "__dataclass_fields__", None):
            raise _unsupported(cls, f"inheriting fields from {base.__qualname__}")
    for name in ("__post_init__", "__slots__"):
        if name in own:
            raise _unsupported(cls, f"defining {name}")
    annotations = own.get("__annotations__", {})
    fields: dict[str, dataclasses.Field] = {}
    for name, typ in annotations.items():
        text = typ if isinstance(typ, str) else repr(typ)
        if "ClassVar" in text:
            continue
        if "InitVar" in text or "KW_ONLY" in text or isinstance(typ, dataclasses.InitVar):
            raise _unsupported(cls, f"{text} (field {name!r})")
        value = own.get(name, _MISSING)
        f: dataclasses.Field[Any] = value if isinstance(value, dataclasses.Field) else dataclasses.field(default=value)
        if not f.init:
            raise _unsupported(cls, f"field(init=False) (field {name!r})")
        if f.kw_only is True:
            raise _unsupported(cls, f"field(kw_only=True) (field {name!r})")
        f.kw_only = False  # what dataclasses sets when not kw_only
        if f.default is not _MISSING and type(f.default).__hash__ is None:
            raise ValueError(f"mutable default {type(f.default)} for field {name} is not allowed: "
                             "use default_factory")
        f.name, f.type, f._field_type = name, typ, _FIELD  # type: ignore[attr-defined]
        fields[name] = f
    for name, value in own.items():
        if isinstance(value, dataclasses.Field) and name not in fields:
            raise TypeError(f"{name!r} is a field but has no type annotation")
    return fields


def _check_no_class_cell(cls: type) -> None:
    """Refuse methods whose ``__class__`` cell (zero-argument ``super()``) names ``cls``."""
    for name, value in cls.__dict__.items():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        funcs = [value.fget, value.fset, value.fdel] if isinstance(value, property) else [value]
        for func in funcs:
            if isinstance(func, types.FunctionType) and "__class__" in func.__code__.co_freevars:
                raise _unsupported(cls, f"zero-argument super() or __class__ in {name}")


def _source(cls: type, fields: dict[str, dataclasses.Field], eq: bool, order: bool) -> tuple[str, dict[str, Any]]:
    """One module source defining every generated method, and the globals it needs."""
    glb: dict[str, Any] = {"_set": object.__setattr__, "_F": _FACTORY}
    params, body = [], []
    seen_default = False
    for n, f in fields.items():
        if f.default is not _MISSING or f.default_factory is not _MISSING:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {n!r} follows default argument")
        if f.default is not _MISSING:
            glb[f"_d_{n}"] = f.default
            params.append(f"{n}=_d_{n}")
            body.append(f"    _set(self, {n!r}, {n})")
        elif f.default_factory is not _MISSING:
            glb[f"_f_{n}"] = f.default_factory
            params.append(f"{n}=_F")
            body.append(f"    _set(self, {n!r}, _f_{n}() if {n} is _F else {n})")
        else:
            params.append(n)
            body.append(f"    _set(self, {n!r}, {n})")
    own = cls.__dict__
    lines = []
    if "__init__" not in own:
        lines += [f"def __init__(self, {', '.join(params)}):", *(body or ["    pass"])]
    key = "(" + "".join(f"self.{n}, " for n, f in fields.items() if f.compare) + ")"
    hkey = "(" + "".join(f"self.{n}, " for n, f in fields.items()
                         if (f.compare if f.hash is None else f.hash)) + ")"
    other = key.replace("self.", "other.")
    if eq:
        if "__eq__" not in own:
            lines += ["def __eq__(self, other):",
                      "    if other.__class__ is self.__class__:",
                      f"        return {key} == {other}",
                      "    return NotImplemented"]
        # An explicit __hash__ is kept; a __hash__ = None that __eq__ implied is replaced.
        if "__hash__" not in own or (own["__hash__"] is None and "__eq__" in own):
            lines += ["def __hash__(self):", f"    return hash({hkey})"]
    if order:
        if not eq:
            raise ValueError("eq must be true if order is true")
        for name, op in _ORDER:
            if name in own:
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}. "
                                "Consider using functools.total_ordering")
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
def frozen(cls: type[T] | None = None, /, *, eq: bool = True, order: bool = False) -> Any:
    """Make ``cls`` a frozen, slotted value class (``@frozen`` or ``@frozen(order=True)``)."""

    def wrap(cls: type[T]) -> type[T]:
        fields = _collect(cls)
        _check_no_class_cell(cls)
        for name in ("__setattr__", "__delattr__"):
            if name in cls.__dict__:
                raise _unsupported(cls, f"defining {name}")
        names = tuple(fields)
        src, glb = _source(cls, fields, eq, order)
        generated: dict[str, Callable[..., Any]] = {}
        exec(compile(src, f"<frozen {cls.__module__}.{cls.__qualname__}>", "exec"), glb, generated)
        if "__init__" in generated:
            generated["__init__"].__annotations__ = {**{n: f.type for n, f in fields.items()},
                                                     "return": None}
        ns = {k: v for k, v in cls.__dict__.items()
              if k not in fields and k not in ("__dict__", "__weakref__")}
        for fn in generated.values():
            fn.__qualname__ = f"{cls.__qualname__}.{fn.__name__}"
            ns[fn.__name__] = fn
        ns.setdefault("__match_args__", names)
        ns.setdefault("__repr__", _repr(tuple(n for n, f in fields.items() if f.repr)))
        ns.setdefault("__getstate__", _getstate(names))
        ns.setdefault("__setstate__", _setstate(names))
        ns.update(__slots__=names, __dataclass_fields__=fields,
                  __setattr__=_no_setattr, __delattr__=_no_delattr)
        # A slotted class must be created anew: __slots__ only works at class creation.
        meta: Any = type(cls)
        new: type[T] = meta(cls.__name__, cls.__bases__, ns)
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
