"""The image-rule fixture harness: each tests/fixtures/images/IMxxxx*.yaml gives its exact findings.

A file entry's ``expect: [CODE]`` / ``ok: [CODE]`` name findings at that path; the top-level
``expect`` lists findings without a file (``layer: N`` means anchored at layer N, ``path:``
a directory).  Findings of the selected code must equal the expectations exactly.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest
import pylint_image.rules.image as image_rules
from pylint_image.linter import Context, Settings, Target
from pylint_image.linter.oci import ContentNeeds, load_image
from tests.support import synth_image as synth

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "images"
CASES = sorted(FIXTURES.glob("*.yaml"))
RULES = {m.RULE.meta.code: m.RULE for m in (
    importlib.import_module(f"{image_rules.__name__}.{info.name}")
    for info in pkgutil.iter_modules(image_rules.__path__) if not info.name.startswith("_"))}


def _expected(spec: dict[str, Any], code: str) -> tuple[list[tuple[str, str]], set[tuple[str, str]]]:
    expect, ok = [], set()
    for layer in spec.get("layers", []):
        for item in layer.get("files", []):
            expect += [(c, item["path"]) for c in item.get("expect", []) if c == code]
            ok |= {(c, item["path"]) for c in item.get("ok", []) if c == code}
    for item in spec.get("expect", []):
        if item["code"] == code:
            expect.append((code, item.get("path") or f"layer:{item['layer']}"))
    return expect, ok


def run_rule(code: str, image: Any, options: dict[str, Any] | None = None) -> list[Any]:
    """Run one image rule's check with its default options updated by ``options``."""
    rule = RULES[code]
    cls = rule.meta.options
    opts = cls(**{k.replace("-", "_"): v for k, v in (options or {}).items()}) if cls else None
    return list(rule.check(image, Context(options=opts, settings=Settings(), image_name="img")))


@pytest.mark.parametrize("fixture", CASES, ids=[p.name for p in CASES])
def test_image_fixture_findings_are_exactly_the_expectations(fixture: Path, tmp_path: Path) -> None:
    code = fixture.stem.split("_")[0]
    spec = synth.load_yaml(fixture.read_text())
    needs = ContentNeeds.of([r.meta.needs for r in RULES.values()])
    image = load_image(synth.write_oci_layout(spec, tmp_path / "oci"), needs)
    layer_of = {layer.diff_id: layer.index for layer in image.layers}
    got = sorted((code, v.where.path_in_image or f"layer:{layer_of[v.where.layer_digest]}")
                 for v in run_rule(code, image, spec.get("options")))
    expect, ok = _expected(spec, code)
    assert expect, "every image fixture needs at least one expectation"
    assert got == sorted(expect)
    assert not ok & set(got)


def test_every_image_rule_has_a_fixture_and_targets_images() -> None:
    stems = {p.stem.split("_")[0] for p in CASES}
    assert set(RULES) <= stems
    assert all(r.meta.target is Target.IMAGE for r in RULES.values())


def test_messages_name_sizes_and_paths(tmp_path: Path) -> None:
    spec = synth.load_yaml((FIXTURES / "IM2006.yaml").read_text())
    image = load_image(synth.write_oci_layout(spec, tmp_path / "oci"))
    (violation,) = run_rule("IM2006", image, spec["options"])
    assert "/var/lib/apt/lists/big" in violation.message and "deleted in layer 1" in violation.message
    assert "efficiency" in violation.message
