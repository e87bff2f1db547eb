"""All formatters: protocol conformance, entry points, constructor, lazy heavy imports."""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from pylint_image.linter.formatters import BUILTIN_FORMATTERS
from pylint_image.linter.formatters.base import Formatter, relative_path, use_color
from tests.support.sample_report import ROOT, full_report


def _load(target: str) -> type:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def test_builtin_table_matches_entry_points() -> None:
    registered = {ep.name: ep.value for ep in entry_points(group="pylint_image.formatters")}
    assert {k: registered.get(k) for k in BUILTIN_FORMATTERS} == BUILTIN_FORMATTERS


@pytest.mark.parametrize("name", sorted(BUILTIN_FORMATTERS))
def test_formatter_protocol_and_constructor(name: str) -> None:
    cls = _load(BUILTIN_FORMATTERS[name])
    formatter = cls(color=False, concise=False)
    assert isinstance(formatter, Formatter)
    assert cls.name == name
    assert cls.keeps_suppressed is (name in ("json", "sarif"))
    stream = io.StringIO()
    formatter.render(full_report(), stream)
    assert stream.getvalue().endswith("\n")


def test_importing_formatters_and_docs_does_not_import_rich_or_sarif_om() -> None:
    modules = [t.partition(":")[0] for t in BUILTIN_FORMATTERS.values()] + ["pylint_image.linter.docs"]
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + (
        "print(sorted(m for m in ('rich', 'sarif_om', 'attr', 'jsonschema') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_use_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(None, Tty()) and not use_color(None, io.StringIO())
    assert use_color(True, io.StringIO()) and not use_color(False, Tty())
    monkeypatch.setenv("NO_COLOR", "")  # empty NO_COLOR does not disable colour (no-color.org)
    assert use_color(None, Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(None, Tty())


def test_relative_path() -> None:
    assert relative_path(ROOT / "a" / "Dockerfile", ROOT) == "a/Dockerfile"
    assert relative_path("a/Dockerfile", ROOT) == "a/Dockerfile"
    assert relative_path("/other/Dockerfile", ROOT) == "/other/Dockerfile"
