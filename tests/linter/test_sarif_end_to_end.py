"""The real CLI's SARIF for every rule fixture is schema-valid and ready for GitHub code scanning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import shared_dir

REPO = Path(__file__).resolve().parent.parent.parent


def test_cli_sarif_over_all_fixtures_is_valid_and_code_scanning_ready(tmp_path: Path) -> None:
    import jsonschema

    shared = shared_dir()
    if shared is None or not (shared / "schemas" / "sarif-schema-2.1.0.json").is_file():
        pytest.skip("needs ../shared/schemas/sarif-schema-2.1.0.json")
    schema = json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text())
    out = tmp_path / "out.sarif"
    result = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "--format", "sarif", "--output",
                             str(out), "tests/fixtures/rules"], cwd=REPO, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 1, result.stderr
    log = json.loads(out.read_text())
    jsonschema.Draft7Validator(schema).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"], r["id"]
        assert r["helpUri"].startswith("https://")
    ids = [r["id"] for r in rules]
    assert len(run["results"]) > 20
    suppressed = 0
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        assert uri.startswith("tests/fixtures/rules/") and not uri.startswith("/")
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
        assert res["partialFingerprints"]["pylintImage/v1"]
        suppressed += bool(res.get("suppressions"))
    assert suppressed >= 1  # the DF0002 fixture suppresses findings in source
