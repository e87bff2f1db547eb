"""Every output names the other tools' ids of a finding: its own exact ids, else its rule's aliases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pylint_image.rules import DOCKERFILE_RULES

DOCKERFILE = "FROM debian:12\nRUN apt-get install -y curl\nRUN cd /tmp\n"


def _lint(tmp_path: Path, fmt: str) -> str:
    path = tmp_path / "Dockerfile"
    path.write_text(DOCKERFILE, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "--format", fmt,
                           "--fail-on", "never", str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _meta(code: str):
    return next(r.meta for r in DOCKERFILE_RULES if r.meta.code == code)


def test_json_shows_exact_ids_and_falls_back_to_the_rules_aliases(tmp_path: Path) -> None:
    found = {f["code"]: f["foreign_ids"] for f in json.loads(_lint(tmp_path, "json"))["findings"]}
    assert found["DF2001"] == ["DL3008"]                        # exact: apt only, not pip's DL3013
    assert not _meta("DF2006").exact_tool_ids
    assert found["DF2006"] == list(_meta("DF2006").aliases)     # no own id: the rule's aliases
    assert "DL3003" in found["DF2006"]


def test_sarif_and_text_show_the_same_ids(tmp_path: Path) -> None:
    sarif = json.loads(_lint(tmp_path, "sarif"))
    props = {r["ruleId"]: r.get("properties", {}).get("foreignIds") for r in sarif["runs"][0]["results"]}
    assert props["DF2006"] == list(_meta("DF2006").aliases)
    assert props["DF2001"] == ["DL3008"]
    text = _lint(tmp_path, "text")
    line = next(x for x in text.splitlines() if "DF2006 [cd-in-run]" in x)
    assert f"({', '.join(_meta('DF2006').aliases)})" in line


def test_rule_command_knows_a_shellcheck_id_by_the_rule_that_reports_it() -> None:
    done = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "rule", "sc2086"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# DF2023 shellcheck-finding")
    assert done.stderr == "SC2086 is reported by DF2023 [shellcheck-finding]\n"
    bad = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "rule", "SC20"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown rule 'SC20'" in bad.stderr


def test_each_parse_error_carries_the_one_hadolint_id_of_its_kind(tmp_path: Path) -> None:
    cases = {"before-from": ("RUN x\nFROM a\n", "DL3061"), "empty": ("", "DL1000"),
             "onbuild": ("FROM a\nONBUILD FROM b\n", "DL3043"), "unknown": ("FROM a\nRUNN x\n", "DL1000")}
    for name, (text, _) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")

    def lint(*extra: str) -> dict[str, list[str]]:
        done = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "--format", "json",
                               "--fail-on", "never", *extra, *cases], capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return {f["location"]["path"]: f["foreign_ids"] for f in json.loads(done.stdout)["findings"]
                if f["code"] == "DF0001"}

    assert lint() == {name: [dl] for name, (_, dl) in cases.items()}
    assert set(lint("--ignore", "DL3061")) == set(cases) - {"before-from"}
    assert set(lint("--select", "DL3043")) == {"onbuild"}
