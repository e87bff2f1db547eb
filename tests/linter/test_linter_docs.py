"""linter/ruledoc.py and linter/docs.py: parsing rule docs, examples, help URIs, rendering and page generation."""

from __future__ import annotations

import io
from urllib.parse import urlparse

import pytest

from pylint_image.linter import Severity, docs, ruledoc
from tests.support.sample_report import RULES, fake_rule

DOC = '''Flags FROM without a tag.

    ## What it does
    Checks that every `FROM` names a tag.

    ## Why is this bad?
    Untagged images float.

    ## Example
    ```dockerfile
    FROM python
    ## not a heading: inside a fence
    ```

    ```text
    not a dockerfile block
    ```

    ## Use instead
    ```Dockerfile
    FROM python:3.12
    ```

    ```dockerfile
    FROM python@sha256:abc
    ```

    ## References
    - [Docker docs](https://docs.docker.com/)
    '''


def test_parse_doc_sections_ignore_headings_in_fences() -> None:
    parsed = ruledoc.parse_doc(DOC)
    assert parsed.intro == "Flags FROM without a tag."
    assert parsed.headings == ("What it does", "Why is this bad?", "Example", "Use instead", "References")
    assert parsed.section("what it does") == "Checks that every `FROM` names a tag."
    assert parsed.section("Options") is None


def test_missing_headings() -> None:
    assert ruledoc.missing_headings(DOC) == ()
    incomplete = "## What it does\nx\n\n## Example\n\n## Use instead\n```dockerfile\nFROM a:1\n```\n"
    assert ruledoc.missing_headings(incomplete) == ("Why is this bad?", "Example")  # empty counts as missing
    assert ruledoc.missing_headings("") == ("What it does", "Why is this bad?", "Example", "Use instead")


def test_examples_extract_dockerfile_blocks_only() -> None:
    ex = docs.examples(DOC)
    assert ex.bad == ("FROM python\n## not a heading: inside a fence\n",)
    assert ex.good == ("FROM python:3.12\n", "FROM python@sha256:abc\n")
    assert docs.examples(RULES[0]).bad == ("FROM python\n",)


def test_help_uri_is_stable_https() -> None:
    uri = docs.help_uri(RULES[0])
    parsed = urlparse(uri)
    assert parsed.scheme == "https" and parsed.netloc == "github.com"
    assert uri == "https://github.com/pylint-image/pylint-image/blob/main/docs/rules/DF1006.md"


def test_descriptions_and_help() -> None:
    r = fake_rule("DF9001", "sample-rule", Severity.WARNING, doc=DOC)
    assert docs.full_description(r) == "Checks that every `FROM` names a tag."
    assert docs.help_markdown(r).startswith("# DF9001 sample-rule\n\nFlags FROM without a tag.\n\n## What it does")
    text = docs.help_text(r)
    assert "```" not in text and "## " not in text and "What it does" in text


def test_find_rule_by_code_name_or_alias() -> None:
    assert docs.find_rule(RULES, "df1006") is RULES[0]
    assert docs.find_rule(RULES, "unpinned-image-tag") is RULES[0]
    assert docs.find_rule(RULES, "DL3006") is RULES[0]
    assert docs.find_rule(RULES, "nope") is None


def test_render_rule_plain() -> None:
    stream = io.StringIO()
    docs.render_rule(RULES[0], stream, color=False)
    out = stream.getvalue()
    assert "\x1b[" not in out
    assert "DF1006 unpinned-image-tag" in out and "What it does" in out and "FROM python:3.12" in out


def test_render_rules_table() -> None:
    stream = io.StringIO()
    docs.render_rules_table(RULES, stream, color=False)
    out = stream.getvalue()
    assert "\x1b[" not in out
    for r in RULES:
        assert r.meta.code in out and r.meta.name in out
    assert "DL3006" in out and "preview" in out


def test_pages_and_index(tmp_path) -> None:
    written = docs.write_docs(RULES, tmp_path)
    assert sorted(p.name for p in written) == sorted([f"{r.meta.code}.md" for r in RULES] + ["index.md"])
    page = (tmp_path / "IM2001.md").read_text()
    assert page.startswith("# IM2001 setuid-binary\n") and "| Security severity | 7.5 |" in page
    index = (tmp_path / "index.md").read_text()
    assert "| [DF1006](DF1006.md) | `unpinned-image-tag` | warning |" in index


def test_main_uses_the_registry(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pylint_image.linter import plugins

    class Registry:
        rules = RULES

    monkeypatch.setattr(plugins, "load_registry", lambda: Registry())
    assert docs.main(["--out", str(tmp_path / "rules")]) == 0
    assert (tmp_path / "rules" / "index.md").is_file()

    class Broken:
        rules = (fake_rule("DF9002", "bad-doc", Severity.INFO, doc="## What it does\nonly this\n"),)

    monkeypatch.setattr(plugins, "load_registry", lambda: Broken())
    with pytest.raises(SystemExit) as exc:
        docs.main(["--out", str(tmp_path / "other")])
    assert exc.value.code == 2


def test_every_registered_rule_doc_is_complete() -> None:
    from pylint_image.linter.plugins import load_registry

    for r in load_registry().rules:
        assert ruledoc.missing_headings(r.doc) == (), r.meta.code
        if r.meta.target.value == "manifest":  # YAML examples (tests/manifests/test_manifest_docs.py runs them)
            doc = ruledoc.parse_doc(r.doc)
            assert ruledoc.code_blocks(doc.section("Example"), "yaml"), r.meta.code
            assert ruledoc.code_blocks(doc.section("Use instead"), "yaml"), r.meta.code
        elif r.meta.code not in ("DF0001", "DF0002"):  # engine-produced rules have no Dockerfile to run
            ex = docs.examples(r)
            assert ex.bad and ex.good, r.meta.code


def test_code_blocks_of_every_language() -> None:
    body = ruledoc.parse_doc(DOC).section("Example")
    assert ruledoc.code_blocks(body, language=None) == ("FROM python\n## not a heading: inside a fence\n",
                                                        "not a dockerfile block\n")
    assert ruledoc.code_blocks(body, "text") == ("not a dockerfile block\n",)


def test_render_rule_piped_is_the_page_as_written() -> None:
    stream = io.StringIO()
    docs.render_rule(RULES[0], stream)
    assert stream.getvalue() == docs.rule_page(RULES[0])


def test_render_rules_table_piped_is_aligned_without_padding() -> None:
    stream = io.StringIO()
    docs.render_rules_table(RULES, stream)
    lines = stream.getvalue().splitlines()
    assert len(lines) == len(RULES) + 1
    assert all(line == line.rstrip() for line in lines)
    status = lines[0].index("Status")
    assert all(line[status:].split()[0] in ("stable", "preview", "Status") for line in lines)
