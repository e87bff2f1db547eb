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


def _git_repo(tmp_path: Path) -> Path:
    """A real git repository with a Dockerfile two folders down (``docker/app``)."""
    repo = tmp_path / "repo"
    app = repo / "docker" / "app"
    app.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True, capture_output=True, timeout=30)
    (app / "Dockerfile").write_text("FROM python:latest\nRUN pip install flask\n", encoding="utf-8")
    (repo / "other").mkdir()
    (repo / "other" / "Dockerfile").write_text("FROM ubuntu:latest\n", encoding="utf-8")
    return repo


def _cli(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})


def test_sarif_uris_are_relative_to_the_git_top_level_from_a_subdirectory(tmp_path: Path) -> None:
    import jsonschema

    shared = shared_dir()
    if shared is None or not (shared / "schemas" / "sarif-schema-2.1.0.json").is_file():
        pytest.skip("needs ../shared/schemas/sarif-schema-2.1.0.json")
    schema = json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text())
    repo = _git_repo(tmp_path)
    app = repo / "docker" / "app"
    result = _cli(app, "--format", "sarif", "Dockerfile", "../../other/Dockerfile")
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(log)
    run = log["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": repo.as_uri() + "/"}}
    artifacts = {json.dumps(r["locations"][0]["physicalLocation"]["artifactLocation"], sort_keys=True)
                 for r in run["results"]}
    assert artifacts == {json.dumps({"uri": "docker/app/Dockerfile", "uriBaseId": "%SRCROOT%"}, sort_keys=True),
                         json.dumps({"uri": "other/Dockerfile", "uriBaseId": "%SRCROOT%"}, sort_keys=True)}
    # The same run from the top level gives the same locations (and, for GitHub, the same alerts).
    top = json.loads(_cli(repo, "--format", "sarif", "docker/app/Dockerfile", "other/Dockerfile").stdout)["runs"][0]
    def locations(results: list) -> list[str]:
        return sorted(json.dumps([r["ruleId"], r["locations"]], sort_keys=True) for r in results)

    assert locations(top["results"]) == locations(run["results"])
    assert top["originalUriBaseIds"] == run["originalUriBaseIds"]


def test_sarif_outside_a_repository_is_relative_to_the_current_directory(tmp_path: Path) -> None:
    folder = tmp_path / "plain" / "sub"
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM python:latest\n", encoding="utf-8")
    (tmp_path / "plain" / "Dockerfile").write_text("FROM python:latest\n", encoding="utf-8")
    run = json.loads(_cli(folder, "--format", "sarif", "Dockerfile", "../Dockerfile").stdout)["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == folder.as_uri() + "/"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    # ../Dockerfile is above %SRCROOT%: an absolute file URI, no base id
    assert uris == {"Dockerfile", (tmp_path / "plain" / "Dockerfile").as_uri()}


def test_github_annotations_name_files_from_the_repository_root(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path)
    result = _cli(repo / "docker" / "app", "--format", "github", "Dockerfile")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines and all("file=docker/app/Dockerfile," in line for line in lines if line.startswith("::warning"))
    assert any(line.startswith("::warning") for line in lines)
