"""The entry-point scanner reads names and versions from the metadata, as importlib.metadata does (issue 10).

It reads the files itself (importlib.metadata costs 20+ ms of imports at every start), so
these tests hold it to importlib.metadata's answers: for every distribution installed
here that has entry points, and for crafted .dist-info and .egg-info folders and files.
"""

from __future__ import annotations

import importlib.metadata as md
import re
import sys
import textwrap
from pathlib import Path

import pytest

from pylint_image.linter import plugins


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_with_entry_points() -> dict[str, md.Distribution]:
    """The distribution importlib.metadata resolves for each name (the first on sys.path), if it has entry points."""
    found: dict[str, md.Distribution] = {}
    for dist in md.distributions():
        name = dist.metadata["Name"]
        if name and _norm(name) not in found:
            found[_norm(name)] = dist
    return {key: dist for key, dist in found.items() if dist.entry_points}


def test_versions_match_importlib_metadata_for_every_installed_distribution_with_entry_points() -> None:
    installed = _installed_with_entry_points()
    assert "pylint-image" in installed  # our own entry points, at least
    mismatches = {name: (plugins.dist_version(name), md.version(name)) for name in installed
                  if plugins.dist_version(name) != md.version(name)}
    assert not mismatches, mismatches


@pytest.mark.parametrize(("group", "ours_has"), [(plugins.RULES_GROUP, "builtin"), (plugins.FORMATTERS_GROUP, "json")])
def test_found_entry_points_match_importlib_metadata(group: str, ours_has: str) -> None:
    ours = {(_norm(p.dist), p.version, p.name, p.value) for p in plugins.find(group)}
    theirs = {(_norm(ep.dist.metadata["Name"]), ep.dist.version, ep.name, ep.value.split("[")[0].strip())
              for ep in md.entry_points(group=group)}
    assert ours == theirs
    assert ("pylint-image", md.version("pylint-image"), ours_has) in {entry[:3] for entry in ours}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


ENTRY_POINTS = "[pylint_image.rules]\nrules = {module}:RULES\n"


@pytest.fixture
def crafted_site(tmp_path: Path, monkeypatch) -> Path:
    """A sys.path folder with a dist-info, an egg-info folder (no version in its name) and an egg-info file."""
    site = tmp_path / "site"
    # The folder name says 0.0.0; the metadata (which importlib.metadata believes) says 2.3.1.
    _write(site / "acme_rules-0.0.0.dist-info" / "METADATA", """
        Metadata-Version: 2.1
        Name: acme-rules
        Version: 2.3.1
        Summary: a crafted plugin

        Version: 9.9.9 (in the long description, not a header)
        """)
    _write(site / "acme_rules-0.0.0.dist-info" / "entry_points.txt",
           "[console_scripts]\nacme = acme_rules.cli:main\n\n" + ENTRY_POINTS.format(module="acme_rules")
           + "\n[pylint_image.formatters]\nfancy = acme_rules.fmt:Fancy [color]\n")
    # ``pip install -e`` with an old setuptools, or ``setup.py develop``: the folder name has no version.
    _write(site / "Other.Lint.egg-info" / "PKG-INFO", """
        Metadata-Version: 1.2
        Name: other.lint
        Version: 1.0rc1
        Description: folded
          Version: 5 (a continuation line, not a header)
        """)
    _write(site / "Other.Lint.egg-info" / "entry_points.txt", ENTRY_POINTS.format(module="other_lint"))
    # distutils wrote PKG-INFO's text straight into a file named like a folder.
    _write(site / "old_tool-0.5-py3.11.egg-info", "Metadata-Version: 1.0\nName: old-tool\nVersion: 0.5\n")
    monkeypatch.setattr(sys, "path", [str(site)])
    return site


def test_crafted_dist_info_and_egg_info_match_importlib_metadata(crafted_site: Path) -> None:
    for name in ("acme-rules", "other.lint", "old-tool"):
        assert plugins.dist_version(name) == md.version(name), name
    assert [plugins.dist_version(n) for n in ("acme_rules", "Other-Lint", "old-tool")] == ["2.3.1", "1.0rc1", "0.5"]
    assert plugins.dist_version("absent") is None
    found = plugins.find(plugins.RULES_GROUP)
    assert [(p.dist, p.version, p.name, p.value) for p in found] == [
        ("acme-rules", "2.3.1", "rules", "acme_rules:RULES"), ("other.lint", "1.0rc1", "rules", "other_lint:RULES")]
    assert {(ep.dist.metadata["Name"], ep.dist.version) for ep in md.entry_points(group=plugins.RULES_GROUP)} \
        == {(p.dist, p.version) for p in found}
    (formatter,) = plugins.find(plugins.FORMATTERS_GROUP)
    assert (formatter.dist, formatter.version, formatter.name, formatter.value) == (
        "acme-rules", "2.3.1", "fancy", "acme_rules.fmt:Fancy")


def test_first_on_sys_path_wins_and_unreadable_metadata_has_no_version(tmp_path: Path, monkeypatch) -> None:
    _write(tmp_path / "a" / "thing-1.0.dist-info" / "METADATA", "Name: thing\nVersion: 1.0\n")
    _write(tmp_path / "b" / "thing-2.0.dist-info" / "METADATA", "Name: thing\nVersion: 2.0\n")
    (tmp_path / "b" / "bare-3.0.dist-info").mkdir()  # no METADATA at all
    monkeypatch.setattr(sys, "path", [str(tmp_path / "a"), str(tmp_path / "missing"), str(tmp_path / "b")])
    assert plugins.dist_version("thing") == md.version("thing") == "1.0"
    assert plugins.dist_version("bare") is None
    assert plugins.read_metadata(str(tmp_path / "b" / "bare-3.0.dist-info")) == {}
