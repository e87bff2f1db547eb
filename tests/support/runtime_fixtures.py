"""Canned runtime observations: load a fixture into the real model and judge it as ``verify`` does.

A fixture is ``tests/fixtures/runtime/<CODE>/<case>.json``, one JSON object:

``about``       one sentence: what the case shows (required).
``dockerfile``  the Dockerfile as a list of lines, or ``null`` for an image verified without one.
``target``      the ``--target`` stage (optional).
``check``       the codes compared (optional; default: the folder's code).  Every RUNTIME rule
                still runs on every case, and none may crash.
``config``      a ``.pylint-image.yaml`` table (optional; ``preview: true`` unless it says).
``run``         the observation: the fields of :class:`RuntimeRun` except ``sources``, nested
                records as objects (``start``, ``ports``, ``stop``, ...), tuples as lists.
                ``sources`` is not written down: it is computed from ``dockerfile`` by
                ``runner.claims.claim_sources``, as verify computes it.
``expected``    every finding of the checked codes, each
                ``{"code", "severity", "message", "location": {"image", "probe", "span"}}``
                (``span`` is ``[start_line, start_col, end_line, end_col]`` in the Dockerfile, or
                ``null``) and optionally ``"suppressed": true``.

Loading is strict: an unknown key, a missing required field or a value of the wrong type is
a :class:`FixtureError` naming the JSON path, so a typo cannot silently test nothing.
:func:`run_to_json` is the inverse of :func:`run_from_json`; ``record_runtime_fixtures``
uses it to write observations recorded from real ``verify`` runs.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pylint_image.linter.engine import Outcome
from pylint_image.linter.findings import Finding, RuntimeLocation
from pylint_image.linter.model.dockerfile import Dockerfile
from pylint_image.linter.model.runtime import RuntimeRun
from pylint_image.linter.parse import parse_dockerfile
from pylint_image.runner.claims import claim_sources
from pylint_image.runner.pipeline import judge
from tests.support.linting import config_for, registry

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "runtime"
DOCKERFILE = Path("Dockerfile")   # the path every fixture's Dockerfile is parsed as

_CASE_KEYS = {"about": True, "dockerfile": True, "run": True, "expected": True,
              "target": False, "check": False, "config": False}
_FINDING_KEYS = {"code": True, "severity": True, "message": True, "location": True, "suppressed": False}
_LOCATION_KEYS = {"image": True, "probe": True, "span": True}
_NOT_IN_FIXTURES = ("sources",)   # computed from the Dockerfile, never written down


class FixtureError(ValueError):
    """A fixture that does not match the format (the message names the JSON path)."""


@dataclasses.dataclass(frozen=True)
class Case:
    """One loaded fixture."""

    path: Path
    about: str
    dockerfile: Dockerfile | None
    target: str | None
    check: tuple[str, ...]
    config: dict[str, Any]
    run: RuntimeRun
    expected: tuple[dict[str, Any], ...]

    @property
    def id(self) -> str:
        """``RT3001/no-user``."""
        return f"{self.path.parent.name}/{self.path.stem}"


# --- JSON -> model ------------------------------------------------------------------------------

def _keys(obj: Any, where: str, allowed: Mapping[str, bool]) -> dict[str, Any]:
    """``obj`` as a dict whose keys are all allowed and hold every required one."""
    if not isinstance(obj, dict):
        raise FixtureError(f"{where}: expected an object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise FixtureError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))} "
                           f"(known: {', '.join(sorted(allowed))})")
    missing = sorted(k for k, required in allowed.items() if required and k not in obj)
    if missing:
        raise FixtureError(f"{where}: missing key(s) {', '.join(map(repr, missing))}")
    return obj


def _convert(value: Any, hint: Any, where: str) -> Any:
    """``value`` (parsed JSON) as an instance of the type ``hint``, checked strictly."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        if len(options) != 1:
            raise FixtureError(f"{where}: unsupported union {hint}")
        return _convert(value, options[0], where)
    if origin is typing.Literal:
        if value not in args:
            raise FixtureError(f"{where}: {value!r} is not one of {', '.join(map(repr, args))}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise FixtureError(f"{where}: expected a list, got {type(value).__name__}")
        item = args[0]
        return tuple(_convert(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (Mapping, dict, typing.Mapping):
        if not isinstance(value, dict):
            raise FixtureError(f"{where}: expected an object, got {type(value).__name__}")
        key_type, value_type = args
        return {_convert(k, key_type, f"{where}.{k}"): _convert(v, value_type, f"{where}.{k}")
                for k, v in value.items()}
    if hint is bool:
        if not isinstance(value, bool):
            raise FixtureError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FixtureError(f"{where}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FixtureError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise FixtureError(f"{where}: expected a string, got {value!r}")
        return value
    if dataclasses.is_dataclass(hint):
        return _record(value, hint, where)
    raise FixtureError(f"{where}: no JSON form for {hint!r}")


def _record(obj: Any, cls: type, where: str, skip: tuple[str, ...] = ()) -> Any:
    """An instance of the model class ``cls`` from a JSON object with exactly its fields."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in skip}
    required = {name: f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                for name, f in fields.items()}
    present = _keys(obj, where, required)
    return cls(**{name: _convert(value, hints[name], f"{where}.{name}") for name, value in present.items()})


def run_from_json(obj: Any, sources: Mapping[str, Any] | None = None, where: str = "run") -> RuntimeRun:
    """A :class:`RuntimeRun` from its fixture JSON; ``sources`` come from the Dockerfile."""
    if isinstance(obj, dict):
        for name in _NOT_IN_FIXTURES:
            if name in obj:
                raise FixtureError(f"{where}.{name}: not written in a fixture (computed from 'dockerfile')")
    run = _record(obj, RuntimeRun, where, skip=_NOT_IN_FIXTURES)
    return dataclasses.replace(run, sources=dict(sources or {}))


# --- model -> JSON ------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _object(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _object(record: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields of ``record`` that differ from their defaults (the fixture stays short)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if f.name in skip:
            continue
        if f.default is not dataclasses.MISSING and value == f.default:
            continue
        if f.default_factory is not dataclasses.MISSING and value == f.default_factory():
            continue
        out[f.name] = _plain(value)
    return out


def run_to_json(run: RuntimeRun) -> dict[str, Any]:
    """The fixture JSON of ``run`` (without ``sources``); ``run_from_json`` reads it back."""
    return _object(run, skip=_NOT_IN_FIXTURES)


def dump_fixture(value: Any, indent: int = 0) -> str:
    """JSON text for a fixture: objects one key a line, short lists of scalars on one line."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {dump_fixture(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        flat = json.dumps(value)
        if not any(isinstance(v, (dict, list)) for v in value) and len(flat) + indent <= 100:
            return flat
        return "[\n" + ",\n".join(inner + dump_fixture(v, indent + 2) for v in value) + f"\n{pad}]"
    return json.dumps(value)


def finding_to_json(finding: Finding) -> dict[str, Any]:
    """A runtime finding in the fixture's ``expected`` form."""
    location = finding.location
    if not isinstance(location, RuntimeLocation):
        raise AssertionError(f"{finding.code}: not a runtime location: {location!r}")
    span = None
    if location.source is not None:
        assert location.source.path == DOCKERFILE, location.source
        s = location.source.span
        span = [s.start_line, s.start_col, s.end_line, s.end_col]
    out = {"code": finding.code, "severity": finding.severity.value, "message": finding.message,
           "location": {"image": location.image, "probe": location.probe, "span": span}}
    if finding.suppressed is not None:
        out["suppressed"] = True
    return out


# --- cases --------------------------------------------------------------------------------------

def _expected(items: Any, where: str) -> tuple[dict[str, Any], ...]:
    if not isinstance(items, list):
        raise FixtureError(f"{where}: expected a list of findings")
    out = []
    for i, item in enumerate(items):
        here = f"{where}[{i}]"
        finding = dict(_keys(item, here, _FINDING_KEYS))
        _keys(finding["location"], f"{here}.location", _LOCATION_KEYS)
        span = finding["location"]["span"]
        if span is not None and (not isinstance(span, list) or len(span) != 4
                                 or not all(isinstance(n, int) and not isinstance(n, bool) for n in span)):
            raise FixtureError(f"{here}.location.span: expected null or [line, col, end_line, end_col]")
        if finding["severity"] not in ("error", "warning", "info", "style"):
            raise FixtureError(f"{here}.severity: {finding['severity']!r} is not a severity")
        if finding.get("suppressed") is False:
            raise FixtureError(f"{here}.suppressed: leave it out rather than write false")
        out.append(finding)
    return tuple(out)


def load_case(path: Path) -> Case:
    """Parse and check one fixture file."""
    where = f"{path.parent.name}/{path.name}"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FixtureError(f"{where}: not JSON: {exc}") from None
    data = _keys(raw, where, _CASE_KEYS)
    if not isinstance(data["about"], str) or not data["about"].strip():
        raise FixtureError(f"{where}.about: say in one sentence what the case shows")
    lines, target = data["dockerfile"], data.get("target")
    dockerfile = None
    sources: Mapping[str, Any] = {}
    if lines is not None:
        if not isinstance(lines, list) or not all(isinstance(line, str) and "\n" not in line for line in lines):
            raise FixtureError(f"{where}.dockerfile: expected null or a list of lines")
        dockerfile = parse_dockerfile(DOCKERFILE, "\n".join(lines) + "\n")
        sources, _commands = claim_sources(dockerfile, target)
    elif target is not None:
        raise FixtureError(f"{where}.target: needs a dockerfile")
    check = data.get("check", [path.parent.name])
    if not isinstance(check, list) or not check or not all(isinstance(c, str) for c in check):
        raise FixtureError(f"{where}.check: expected a non-empty list of rule codes")
    config = data.get("config", {})
    if not isinstance(config, dict):
        raise FixtureError(f"{where}.config: expected an object")
    expected = _expected(data["expected"], f"{where}.expected")
    stray = sorted({e["code"] for e in expected} - set(check))
    if stray:
        raise FixtureError(f"{where}.expected: {', '.join(stray)} not in 'check' {check}")
    return Case(path=path, about=data["about"], dockerfile=dockerfile, target=target, check=tuple(check),
                config=config, run=run_from_json(data["run"], sources, f"{where}.run"), expected=expected)


def all_cases() -> list[Path]:
    """Every fixture file, in a stable order."""
    return sorted(FIXTURES.glob("*/*.json"))


def judge_case(case: Case) -> Outcome:
    """Run every enabled RUNTIME rule on the case's observation through verify's own ``judge``."""
    config = config_for({"preview": True, **case.config})
    return judge(case.run, registry(), config, case.dockerfile, None)


def _sort_key(finding: dict[str, Any]) -> tuple:
    location = finding["location"]
    return (finding["code"], location["probe"], location["span"] or [], finding["message"])


def findings_of(case: Case, outcome: Outcome) -> list[dict[str, Any]]:
    """The checked codes' findings in the ``expected`` form, in a stable order."""
    return sorted((finding_to_json(f) for f in outcome.findings if f.code in case.check), key=_sort_key)


def expected_of(case: Case) -> list[dict[str, Any]]:
    """The case's expectations in the same order as :func:`findings_of`."""
    return sorted(case.expected, key=_sort_key)
