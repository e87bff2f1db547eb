"""Each manifest rule's doc: its YAML Example fires the rule and its Use instead does not.

MF2001-MF2003 compare a manifest with a Dockerfile the example only describes in a comment:
the Dockerfile written in the comment is created beside the manifest, and the images table
maps the example's image to it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pylint_image.linter import ruledoc
from pylint_image.linter.lint import lint_one
from tests.support.linting import config_for, registry

MF_RULES = [r for r in registry().rules if r.meta.code.startswith("MF")]
# What each claims example's comment says the Dockerfile holds, as a Dockerfile.
DOCKERFILES = {
    "MF2001": ("FROM python:3.12-slim\nEXPOSE 8000\nUSER 10001\n", "FROM python:3.12-slim\nEXPOSE 8000\nUSER 10001\n"),
    "MF2002": ("FROM python:3.12-slim\nHEALTHCHECK CMD curl -f http://localhost:8000/\n",) * 2,
    "MF2003": ("FROM python:3.12-slim\nCMD [\"python\", \"app.py\"]\n", "FROM python:3.12-slim\nUSER 10001\n"),
}


def _lint(code: str, yaml: str, dockerfile: str | None, tmp_path: Path):
    name = "compose.yaml" if yaml.lstrip().startswith("services:") or "\nservices:" in yaml else "deploy.yaml"
    table: dict = {"preview": True, "select": [code]}
    tmp_path.mkdir(parents=True, exist_ok=True)
    if dockerfile is not None:
        for folder in ("api", "services/api"):
            (tmp_path / folder).mkdir(parents=True, exist_ok=True)
            (tmp_path / folder / "Dockerfile").write_text(dockerfile, encoding="utf-8")
        table["images"] = {"ghcr.io/acme/api": str(tmp_path / "services/api/Dockerfile")}
    (tmp_path / name).write_text(yaml, encoding="utf-8")
    config = config_for(table)
    result = lint_one(tmp_path / name, tmp_path, registry(), config, {})
    assert result.error is None, result.error
    return [f for f in result.outcome.findings if f.code == code]


@pytest.mark.parametrize("rule", MF_RULES, ids=[r.meta.code for r in MF_RULES])
def test_example_fires_and_use_instead_does_not(rule, tmp_path: Path) -> None:
    doc = ruledoc.parse_doc(rule.doc)
    [bad] = ruledoc.code_blocks(doc.section("Example"), "yaml")
    [good] = ruledoc.code_blocks(doc.section("Use instead"), "yaml")
    bad_df, good_df = DOCKERFILES.get(rule.meta.code, (None, None))
    assert _lint(rule.meta.code, bad, bad_df, tmp_path / "bad"), "the Example does not fire"
    assert not _lint(rule.meta.code, good, good_df, tmp_path / "good"), "the Use instead fires"


def test_claims_examples_describe_the_dockerfiles_used_here() -> None:
    for code, (bad, _) in DOCKERFILES.items():
        [rule] = [r for r in MF_RULES if r.meta.code == code]
        example = ruledoc.code_blocks(ruledoc.parse_doc(rule.doc).section("Example"), "yaml")[0]
        said = re.search(r"#.*?(EXPOSE \d+|HEALTHCHECK|no USER)", example)
        assert said is not None, code
        assert said.group(1) in bad or (said.group(1) == "no USER" and "USER" not in bad)
