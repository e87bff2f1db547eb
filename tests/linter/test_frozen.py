"""``@frozen`` behaves like ``dataclasses.dataclass(frozen=True, slots=True)``, or refuses the class.

Each sample class body is defined twice, once under each decorator, and the two are
compared attribute by attribute.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import sys
from dataclasses import InitVar, field
from typing import Any, Callable, ClassVar

import pytest

from pylint_image.linter.model.frozen import frozen

Decorator = Callable[..., Any]


def _dataclass(**options: Any) -> Decorator:
    return dataclasses.dataclass(frozen=True, slots=True, **options)


# The sample classes live at module level so that pickle can find them by name.
def _define(decorate: Decorator, suffix: str) -> dict[str, type]:
    class Point:
        x: int
        y: int = 0
        label: str = field(default="p", compare=False, repr=False)
        tags: list[str] = field(default_factory=list, compare=False)
        origin: ClassVar[int] = 0

        def norm(self) -> int:
            return abs(self.x) + abs(self.y)

    class Empty:
        pass

    class Hashed:
        a: int
        b: int = field(default=0, compare=True, hash=False)
        c: int = field(default=0, compare=False, hash=True)
        meta: str = field(default="", metadata={"doc": "metadata kept"})

    class Custom:
        a: int

        def __repr__(self) -> str:
            return f"<custom {self.a}>"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, type(self))

        __hash__ = None  # type: ignore[assignment]

    classes = {"Point": Point, "Empty": Empty, "Hashed": Hashed, "Custom": Custom}
    out = {}
    for name, cls in classes.items():
        cls.__qualname__ = cls.__name__ = name + suffix
        cls.__module__ = __name__
        made = decorate(cls)
        globals()[made.__name__] = made
        out[name] = made
    ordered = type("Version" + suffix, (), {"__annotations__": {"major": "int", "minor": "int"},
                                            "minor": 0, "__module__": __name__})
    made = (_dataclass(order=True) if decorate is DC else frozen(order=True))(ordered)
    globals()[made.__name__] = made
    out["Version"] = made
    unequal = type("Ident" + suffix, (), {"__annotations__": {"v": "int"}, "__module__": __name__})
    made = (_dataclass(eq=False) if decorate is DC else frozen(eq=False))(unequal)
    globals()[made.__name__] = made
    out["Ident"] = made
    return out


DC = _dataclass()
STD = _define(DC, "_dc")
OURS = _define(frozen, "_fz")
NAMES = sorted(STD)


def _strip(text: str) -> str:
    return text.replace("_dc", "").replace("_fz", "")


def _instances(name: str) -> list[tuple[Any, Any]]:
    """Pairs (dataclass instance, @frozen instance) built with the same arguments."""
    args: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {
        "Point": [((1,), {}), ((1, 2), {"label": "q"}), ((), {"x": -3, "tags": ["a"]}), ((1, 2, "r", ["t"]), {})],
        "Empty": [((), {})],
        "Hashed": [((1,), {}), ((1, 2, 3), {}), ((1, 5, 3), {}), ((1, 2, 4), {"meta": "m"})],
        "Custom": [((1,), {}), ((2,), {})],
        "Version": [((1,), {}), ((1, 2), {}), ((2, 0), {}), ((0, 9), {})],
        "Ident": [((1,), {}), ((1,), {})],
    }
    return [(STD[name](*a, **k), OURS[name](*a, **k)) for a, k in args[name]]


@pytest.mark.parametrize("name", NAMES)
def test_init_signature_and_fields_match(name: str) -> None:
    std, ours = STD[name], OURS[name]
    assert str(inspect.signature(ours)) == str(inspect.signature(std))
    std_params = inspect.signature(std.__init__).parameters
    our_params = inspect.signature(ours.__init__).parameters
    assert list(our_params) == list(std_params)
    for p in std_params:
        assert our_params[p].kind == std_params[p].kind, p
        assert our_params[p].default == std_params[p].default, p
        assert our_params[p].annotation == std_params[p].annotation, p
    assert ours.__init__.__qualname__ == f"{ours.__qualname__}.__init__"
    assert std.__init__.__qualname__ == f"{std.__qualname__}.__init__"
    attrs = ("name", "type", "default", "default_factory", "init", "repr", "hash", "compare",
             "metadata", "kw_only")
    assert [tuple(getattr(f, a) for a in attrs) for f in dataclasses.fields(ours)] == \
        [tuple(getattr(f, a) for a in attrs) for f in dataclasses.fields(std)]
    assert ours.__slots__ == std.__slots__
    assert ours.__match_args__ == std.__match_args__
    assert dataclasses.is_dataclass(ours)
    for s, o in _instances(name):
        assert not hasattr(o, "__dict__") and not hasattr(s, "__dict__")


@pytest.mark.parametrize("name", NAMES)
def test_eq_hash_order_and_repr_match(name: str) -> None:
    pairs = _instances(name)
    for s1, o1 in pairs:
        assert _strip(repr(o1)) == _strip(repr(s1))
        for s2, o2 in pairs:
            assert (o1 == o2) == (s1 == s2)
            assert (o1 != o2) == (s1 != s2)
            if s1.__hash__ is None:
                assert o1.__hash__ is None
            else:
                assert (hash(o1) == hash(o2)) == (hash(s1) == hash(s2))
            if name == "Version":
                assert (o1 < o2, o1 <= o2, o1 > o2, o1 >= o2) == (s1 < s2, s1 <= s2, s1 > s2, s1 >= s2)
        assert (o1 == s1) is False  # another class is never equal
    if name == "Version":
        with pytest.raises(TypeError):
            pairs[0][1] < 1  # noqa: B015
    if name == "Ident":
        a, b = (o for _, o in pairs)
        assert a != b and a == a and hash(a) == object.__hash__(a)
        assert OURS[name].__hash__ is STD[name].__hash__ is object.__hash__


def test_dataclass_hash_follows_compare_and_hash_options() -> None:
    """field(hash=False) leaves a compared field out of the hash; field(hash=True) puts one in."""
    H = OURS["Hashed"]
    assert H(1, 2, 3) != H(1, 5, 3) and hash(H(1, 2, 3)) == hash(H(1, 5, 3))
    assert H(1, 2, 3) == H(1, 2, 4) and hash(H(1, 2, 3)) == hash((1, 3, "")) != hash(H(1, 2, 4))


@pytest.mark.parametrize("name", NAMES)
def test_frozen_pickle_copy_replace_asdict_astuple_match(name: str) -> None:
    for s, o in _instances(name):
        fields = [f.name for f in dataclasses.fields(o)]
        for attr in fields:
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(o, attr, 1)
            with pytest.raises(dataclasses.FrozenInstanceError):
                delattr(o, attr)
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(s, attr, 1)
        with pytest.raises((dataclasses.FrozenInstanceError, AttributeError)):
            o.not_a_field = 1  # type: ignore[attr-defined]
        for clone in (pickle.loads(pickle.dumps(o)), copy.copy(o), copy.deepcopy(o)):
            assert type(clone) is type(o)
            assert [getattr(clone, f) for f in fields] == [getattr(o, f) for f in fields]
            if name != "Ident":
                assert clone == o
        assert dataclasses.asdict(o) == dataclasses.asdict(s)
        assert dataclasses.astuple(o) == dataclasses.astuple(s)
        if fields:
            first = fields[0]
            assert dataclasses.astuple(dataclasses.replace(o, **{first: 7})) == \
                dataclasses.astuple(dataclasses.replace(s, **{first: 7}))


def test_default_factory_gives_each_instance_its_own_value() -> None:
    a, b = OURS["Point"](1), OURS["Point"](2)
    assert a.tags == [] and a.tags is not b.tags
    assert OURS["Point"](1, tags=["x"]).tags == ["x"]
    assert str(inspect.signature(OURS["Point"])) == "(x: 'int', y: 'int' = 0, label: 'str' = 'p', tags: 'list[str]' = <factory>) -> None"


def test_match_statement_and_methods_work() -> None:
    point = OURS["Point"]
    match point(3, -4):
        case point(x, y):
            assert (x, y) == (3, -4)
        case _:
            pytest.fail("no match")
    assert OURS["Point"](3, -4).norm() == 7
    assert OURS["Point"].origin == 0
    assert "origin" not in [f.name for f in dataclasses.fields(OURS["Point"])]


def test_methods_defined_in_the_class_body_are_kept() -> None:
    C = OURS["Custom"]
    assert repr(C(1)) == "<custom 1>"
    assert C(1) == C(2)
    # As in dataclasses, a frozen eq class gets a field hash even when __eq__ reset __hash__.
    assert hash(C(1)) == hash((1,)) == hash(STD["Custom"](1))


def _class(ns: dict[str, Any], annotations: dict[str, Any], bases: tuple[type, ...] = ()) -> type:
    return type("Sample", bases, {"__annotations__": annotations, "__module__": __name__, **ns})


def _both_raise(make: Callable[[], type], options: dict[str, Any], error: type[Exception]) -> None:
    """The stdlib refuses the class with ``error``, and so does @frozen."""
    with pytest.raises(error):
        _dataclass(**options)(make())
    with pytest.raises(error):
        (frozen(**options) if options else frozen)(make())


@pytest.mark.parametrize("value", [[], {}, set(), bytearray()])
def test_mutable_default_raises_like_dataclasses(value: Any) -> None:
    _both_raise(lambda: _class({"a": value}, {"a": "object"}), {}, ValueError)


def test_order_without_eq_raises_like_dataclasses() -> None:
    _both_raise(lambda: _class({}, {"a": "int"}), {"eq": False, "order": True}, ValueError)


def test_non_default_after_default_raises_like_dataclasses() -> None:
    _both_raise(lambda: _class({"a": 1}, {"a": "int", "b": "int"}), {}, TypeError)


def test_field_without_annotation_raises_like_dataclasses() -> None:
    _both_raise(lambda: _class({"a": field(default=1)}, {}), {}, TypeError)


def test_explicit_hash_is_kept_like_dataclasses() -> None:
    for decorate in (_dataclass(), frozen):
        cls = decorate(_class({"__hash__": lambda self: 1}, {"a": "int"}))
        assert hash(cls(5)) == 1 and cls(5) == cls(5) != cls(6)


def test_explicit_order_method_raises_like_dataclasses() -> None:
    _both_raise(lambda: _class({"__lt__": lambda self, o: True}, {"a": "int"}), {"order": True}, TypeError)


def test_unknown_options_raise() -> None:
    with pytest.raises(TypeError):
        frozen(slots=False)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        frozen(kw_only=True)  # type: ignore[call-overload]


def _unsupported_cases() -> dict[str, Callable[[], type]]:
    std_base = _dataclass()(type("DcBase", (), {"__annotations__": {"a": "int"}, "__module__": __name__}))
    our_base = frozen(type("FzBase", (), {"__annotations__": {"a": "int"}, "__module__": __name__}))

    def zero_arg_super() -> type:
        class UsesSuper:
            a: int

            def __repr__(self) -> str:
                return "x" + super().__repr__()

        return UsesSuper

    def class_cell_in_property() -> type:
        class UsesClassCell:
            a: int

            @property
            def kind(self) -> str:
                return __class__.__name__  # type: ignore[name-defined]

        return UsesClassCell

    def class_cell_in_classmethod() -> type:
        class UsesSuperInClassmethod:
            a: int

            @classmethod
            def make(cls) -> Any:
                return super().__new__(cls)

        return UsesSuperInClassmethod

    return {
        "inherits a dataclass": lambda: _class({}, {"b": "int"}, (std_base,)),
        "inherits a frozen class": lambda: _class({}, {"b": "int"}, (our_base,)),
        "zero-argument super()": zero_arg_super,
        "__class__ in a property": class_cell_in_property,
        "super() in a classmethod": class_cell_in_classmethod,
        "InitVar": lambda: _class({}, {"a": "int", "b": "InitVar[int]"}),
        "InitVar object": lambda: _class({}, {"a": "int", "b": InitVar[int]}),
        "KW_ONLY": lambda: _class({}, {"_": "KW_ONLY", "a": "int"}),
        "field(kw_only=True)": lambda: _class({"a": field(kw_only=True)}, {"a": "int"}),
        "field(init=False)": lambda: _class({"a": field(init=False, default=0)}, {"a": "int"}),
        "__post_init__": lambda: _class({"__post_init__": lambda self: None}, {"a": "int"}),
        "__slots__": lambda: _class({"__slots__": ("a",)}, {"a": "int"}),
        "__setattr__": lambda: _class({"__setattr__": lambda self, n, v: None}, {"a": "int"}),
        "__delattr__": lambda: _class({"__delattr__": lambda self, n: None}, {"a": "int"}),
    }


@pytest.mark.parametrize("case", sorted(_unsupported_cases()))
def test_unsupported_class_raises_type_error(case: str) -> None:
    make = _unsupported_cases()[case]
    with pytest.raises(TypeError, match="not supported"):
        frozen(make())


def test_a_plain_base_class_without_fields_is_fine() -> None:
    class Mixin:
        def twice(self) -> int:
            return 2 * self.a  # type: ignore[attr-defined]

    cls = frozen(_class({}, {"a": "int"}, (Mixin,)))
    assert cls(4).twice() == 8
    assert [f.name for f in dataclasses.fields(cls)] == ["a"]


def test_frozen_is_not_part_of_the_public_plugin_api() -> None:
    import pylint_image.linter as api

    assert "frozen" not in api.__all__
    assert not hasattr(api, "frozen")


def test_every_frozen_model_class_in_the_package_is_well_formed() -> None:
    """Every class @frozen made in our packages has the dataclass attributes, and no __dict__."""
    import importlib
    import pkgutil

    import pylint_image.linter
    import pylint_image.rules
    import pylint_image.runner

    seen = 0
    for pkg in (pylint_image.linter, pylint_image.rules, pylint_image.runner):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if isinstance(value, type) and value.__module__ == module.__name__ \
                        and value.__dict__.get("__setattr__") is frozen.__globals__["_no_setattr"]:
                    seen += 1
                    names = tuple(f.name for f in dataclasses.fields(value))
                    assert value.__slots__ == names == value.__match_args__, value
                    assert "__dict__" not in value.__dict__, value
    assert seen > 60, seen
    assert sys.modules["pylint_image.linter.model.frozen"].frozen is frozen
