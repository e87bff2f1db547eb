"""unpinned-image-tag and unofficial-base-image: one options class and one reading of it for the
Dockerfile rule and the manifest rule of each name (rules/_shared/image_options.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pylint_image.linter import Context, Reference, Settings
from pylint_image.rules._shared.image_options import PinOptions, TrustOptions, pin_problem, trusted_entries, unofficial
from pylint_image.rules.dockerfile import DOCKERFILE_RULES
from pylint_image.rules.manifest import MANIFEST_RULES

RULES = {r.meta.code: r for r in (*DOCKERFILE_RULES, *MANIFEST_RULES)}


@pytest.mark.parametrize("dockerfile_rule,manifest_rule,options", [
    ("DF1001", "MF1001", PinOptions), ("DF1002", "MF1002", TrustOptions)])
def test_both_rules_of_a_name_take_the_one_options_class(dockerfile_rule: str, manifest_rule: str,
                                                         options: type) -> None:
    assert RULES[dockerfile_rule].meta.name == RULES[manifest_rule].meta.name
    assert RULES[dockerfile_rule].meta.options is RULES[manifest_rule].meta.options is options


@pytest.mark.parametrize("ref,require_digest,problem", [
    ("python", False, "uses no tag: pin a version tag or a digest"),
    ("python:latest", False, "uses the tag 'latest': pin a version tag or a digest"),
    ("python:3.12", False, None),
    ("python:3.12", True, "is not pinned by digest (require-digest)"),
    ("python@sha256:" + "a" * 64, True, None),
    ("python:latest@sha256:" + "a" * 64, False, None),
])
def test_pin_problem(ref: str, require_digest: bool, problem: str | None) -> None:
    ctx = Context(options=PinOptions(require_digest=require_digest), settings=Settings())
    assert pin_problem(Reference.parse(ref), ctx) == problem
    if not require_digest:
        assert pin_problem(Reference.parse(ref), Context(options=None, settings=Settings())) == problem


def test_trust_reads_the_config_list_then_the_rules_own() -> None:
    ctx = Context(options=TrustOptions(trusted=("ghcr.io/acme",)), settings=Settings(trusted_registries=("acme",)))
    assert trusted_entries(ctx) == ("acme", "ghcr.io/acme")
    assert unofficial(Reference.parse("acme/tool:1"), ctx) is None
    assert unofficial(Reference.parse("ghcr.io/acme/tool:1"), ctx) is None
    assert unofficial(Reference.parse("ghcr.io/other/tool:1"), ctx) is not None
    assert unofficial(Reference.parse("python:3.12"), Context(options=None, settings=Settings())) is None


@pytest.mark.parametrize("verified,found", [("info", True), ("ignore", False), ("warn", True)])
def test_verified_publishers_choice(verified: str, found: bool) -> None:
    ctx = Context(options=TrustOptions(verified_publishers=verified), settings=Settings())
    result = unofficial(Reference.parse("gcr.io/distroless/static:nonroot"), ctx)
    assert (result is not None) == found
    assert result is None or (result.publisher is not None) == (verified == "info")


def test_a_bad_verified_publishers_value_is_one_config_error_for_both(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM acme/base:1\n")
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: acme/base:1\n")
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pylint-image.rules.unofficial-base-image]\nverified-publishers = \"sometimes\"\n")
    for target in ("Dockerfile", "compose.yaml"):
        done = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", target], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
        assert "verified-publishers must be one of info, ignore, warn" in done.stderr
        assert "Traceback" not in done.stderr
