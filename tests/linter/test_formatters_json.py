"""JSON formatter: golden output and the documented schema fields."""

from __future__ import annotations

import io
import json

import pytest

from pylint_image.linter.formatters.json import SCHEMA_VERSION, JsonFormatter
from tests.support.golden import assert_golden
from tests.support.sample_report import CASES, full_report


def _render(report, **kwargs) -> str:
    stream = io.StringIO()
    JsonFormatter(**kwargs).render(report, stream)
    return stream.getvalue()


@pytest.mark.parametrize("case", sorted(CASES))
def test_json_golden(case: str) -> None:
    assert_golden(f"formatters/json/{case}.out", _render(CASES[case]()))


def test_json_document_shape() -> None:
    doc = json.loads(_render(full_report()))
    assert doc["schema"] == SCHEMA_VERSION == 1
    assert doc["tool"] == {"name": "pylint-image", "version": "0.1.0"}
    assert {"findings", "notifications", "tables", "targets"} <= doc.keys()
    kinds = {f["location"]["kind"] for f in doc["findings"]}
    assert kinds == {"source", "image", "runtime"}
    first = doc["findings"][0]
    assert set(first) == {"code", "name", "foreign_ids", "severity", "message", "location", "fingerprint",
                          "suppressed", "fix_hint", "fix", "related"}
    assert first["foreign_ids"] == [] and doc["findings"][1]["foreign_ids"] == ["DL3015"]
    assert first["location"] == {"kind": "source", "path": "app/Dockerfile", "line": 2, "column": 6,
                                 "endLine": 2, "endColumn": 12}


def test_json_keeps_suppressed_findings_marked() -> None:
    doc = json.loads(_render(full_report()))
    suppressed = [f for f in doc["findings"] if f["suppressed"]]
    assert suppressed == [f for f in doc["findings"] if f["fingerprint"] == "fp-df1006-2"]
    assert suppressed[0]["suppressed"] == {"kind": "inSource", "justification": "pinned by renovate"}
    assert JsonFormatter.keeps_suppressed


def test_json_fix_and_image_location() -> None:
    doc = json.loads(_render(full_report()))
    by_fp = {f["fingerprint"]: f for f in doc["findings"]}
    assert by_fp["fp-df3001-1"]["fix"] == {
        "title": "Uppercase the instruction", "safe": True,
        "edits": [{"line": 5, "column": 1, "endLine": 5, "endColumn": 5, "replacement": "FROM"}],
    }
    image = by_fp["fp-im2001-1"]["location"]
    assert image["path_in_image"] == "/app/bin/helper" and image["source"]["line"] == 8
    assert by_fp["fp-im2001-2"]["location"]["source"] is None


def test_json_concise_is_one_line() -> None:
    out = _render(full_report(), concise=True)
    assert out.count("\n") == 1 and json.loads(out)["schema"] == 1


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_every_emitted_field_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "json-format.md").read_text(encoding="utf-8")
    undocumented = sorted(k for k in _keys(json.loads(_render(full_report()))) if f"`{k}`" not in doc)
    assert undocumented == []
