"""plugins.metadata_values reads repeated metadata headers as importlib.metadata does (without its imports)."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from pylint_image.linter import docs, plugins


@pytest.mark.parametrize("field", ["Project-URL", "project-url", "Requires-Dist", "Name", "Classifier"])
def test_same_values_as_importlib_metadata(field: str) -> None:
    assert plugins.metadata_values("pylint-image", field) == (metadata.metadata("pylint-image").get_all(field) or [])


def test_project_urls_come_from_the_installed_metadata() -> None:
    entries = metadata.metadata("pylint-image").get_all("Project-URL") or []
    expected = {label.strip().casefold(): url.strip() for label, _, url in (e.partition(",") for e in entries)}
    assert expected and docs._project_urls() == expected
    assert docs.project_url("Homepage", "fallback") == expected["homepage"]


def test_a_distribution_not_installed_has_no_values(tmp_path: Path, monkeypatch) -> None:
    assert plugins.metadata_values("no-such-distribution-here", "Project-URL") == []
    # The header block ends at the first blank line; folded continuation lines are not fields.
    info = tmp_path / "demo_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-pkg\nProject-URL: A, https://a.example\n"
                                   "Summary: x\n Project-URL: folded, no\nproject-url: B, https://b.example\n\n"
                                   "Project-URL: C, in the description\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert plugins.metadata_values("demo-pkg", "Project-URL") == ["A, https://a.example", "B, https://b.example"]
