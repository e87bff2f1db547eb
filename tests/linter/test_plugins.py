"""Third-party rules load through the same entry-point group as built-ins, and are validated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pylint_image.linter.errors import PluginLoadError
from pylint_image.linter.plugins import Plugin, validate
from pylint_image.linter import RuleMeta, Severity, Target, rule

PLUGIN_RULE = '''
"""## What it does
Flags `FROM` lines whose image is `forbidden`.

## Why is this bad?
Our platform team retired it.

## Example
```dockerfile
FROM forbidden:1
```

## Use instead
```dockerfile
FROM alpine:3.20
```
"""
from pylint_image.linter import RuleMeta, Severity, Target, Violation, rule


def check(dockerfile, ctx):
    for stage in dockerfile.stages:
        if stage.base.repository.endswith("/forbidden"):
            yield Violation(stage.from_instruction.span, "the forbidden image is retired")


def crash(dockerfile, ctx):
    raise RuntimeError("boom")
    yield


RULES = (
    rule(meta=RuleMeta(code="ACME001", name="forbidden-base", severity=Severity.ERROR,
                       target=Target.DOCKERFILE, summary="Retired base image"), check=check),
    rule(meta=RuleMeta(code="ACME002", name="always-crashes", severity=Severity.ERROR,
                       target=Target.DOCKERFILE, summary="Crashes on purpose"), check=crash),
)
'''


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    """Install a tiny third-party plugin distribution into a directory put on PYTHONPATH."""
    src = tmp_path_factory.mktemp("acme-src")
    (src / "acme_rules").mkdir()
    (src / "acme_rules" / "__init__.py").write_text(PLUGIN_RULE)
    (src / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "acme-pylint-image-rules"
        version = "1.2.3"
        [project.entry-points."pylint_image.rules"]
        acme = "acme_rules:RULES"
        [tool.setuptools]
        packages = ["acme_rules"]
    """))
    site = tmp_path_factory.mktemp("acme-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(src)], check=True, capture_output=True, timeout=300)
    return site


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_third_party_rule_runs_and_a_crashing_rule_is_a_notification(plugin_site: Path, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM forbidden:1\nRUNN x\n")
    (tmp_path / "Ok.Dockerfile").write_text("FROM forbidden:1\nUSER 1000\n")
    result = _run(plugin_site, tmp_path, "--format", "json", "Ok.Dockerfile")
    data = json.loads(result.stdout)
    assert [(f["code"], f["location"]["line"]) for f in data["findings"] if f["code"].startswith("ACME")] == [("ACME001", 1)]
    crashed = [n for n in data["notifications"] if n["id"] == "rule-crashed"]
    assert len(crashed) == 1 and "ACME002" in crashed[0]["message"] and "Ok.Dockerfile" in crashed[0]["message"]
    version = _run(plugin_site, tmp_path, "--version")
    assert "acme-pylint-image-rules 1.2.3" in version.stdout


def test_disable_and_require_plugins(plugin_site: Path, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM forbidden:1\nUSER 1000\n")
    off = _run(plugin_site, tmp_path, "--format", "json", "--disable-plugin", "acme-pylint-image-rules", "Dockerfile")
    assert not [f for f in json.loads(off.stdout)["findings"] if f["code"].startswith("ACME")]
    missing = _run(plugin_site, tmp_path, "--require-plugins", "not-installed-plugin", "Dockerfile")
    assert missing.returncode == 3 and "not-installed-plugin" in missing.stderr


def _fake(dist: str) -> Plugin:
    return Plugin(dist, "1", "x", "m:x", None)  # type: ignore[arg-type]


def _r(code: str, name: str):
    return rule(meta=RuleMeta(code=code, name=name, severity=Severity.INFO, target=Target.DOCKERFILE,
                              summary="s"), check=lambda d, c: iter(()), doc="")


def test_validation_rejects_reserved_prefix_duplicates_and_foreign_prefix_owners() -> None:
    with pytest.raises(PluginLoadError, match="reserved"):
        validate([(_fake("evil"), (_r("DF9999", "evil"),))])
    with pytest.raises(PluginLoadError, match="defined by both"):
        validate([(_fake("a"), (_r("AAA001", "one"),)), (_fake("a"), (_r("AAA001", "two"),))])
    with pytest.raises(PluginLoadError, match="already belongs to a"):
        validate([(_fake("a"), (_r("AAA001", "one"),)), (_fake("b"), (_r("AAA002", "two"),))])
    with pytest.raises(PluginLoadError, match="kebab-case"):
        validate([(_fake("a"), (_r("AAA001", "Bad_Name"),))])
    registry = validate([(_fake("a"), (_r("AAA001", "one"),))])
    assert registry.warnings and "no doc section" in registry.warnings[0].message
