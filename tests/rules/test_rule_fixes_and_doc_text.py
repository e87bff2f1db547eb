"""What `pylint-image rules` and `rule CODE` say about the built-in rules is true.

- The Fix column (``RuleMeta.fixable``) is "yes" exactly for the rules whose check attaches
  an autofix, as their own doc examples show; those rules say in `## Fix` how safe it is.
- A rule's doc is its docstring as written: no escape of Python's string syntax (a ``\\`` at
  the end of a Dockerfile line) is lost on the way.
- Piped, `rule CODE` prints every code block of the doc verbatim, and neither `rule` nor
  `rules` pads a line with blanks.
"""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pylint_image.rules as builtin
from pylint_image.linter import docs
from pylint_image.linter.ruledoc import clean_doc, code_blocks, parse_doc
from pylint_image.linter.ruleapi import Target
from tests.support.linting import lint_text

DF_RULES = [r for r in builtin.BUILTIN_RULES if r.meta.target is Target.DOCKERFILE]


def _fixes_offered(rule) -> bool:
    """True when a finding of ``rule`` on one of its Example blocks carries a Fix."""
    table = {"preview": True}
    for text in docs.examples(rule).bad:
        for f in lint_text(text, table=table).outcome.findings:
            if f.code == rule.meta.code and f.fix is not None and f.fix.edits:
                return True
    return False


def test_fix_column_is_the_set_of_rules_that_produce_fixes() -> None:
    produced = {r.meta.code for r in DF_RULES if _fixes_offered(r)}
    marked = {r.meta.code for r in builtin.BUILTIN_RULES if r.meta.fixable}
    assert produced == marked
    # Not every rule with fix advice (fix_title) has an autofix.
    assert {r.meta.code for r in builtin.BUILTIN_RULES if r.meta.fix_title} > marked
    out = io.StringIO()
    docs.render_rules_table(builtin.BUILTIN_RULES, out, color=False)
    header, *rows = out.getvalue().splitlines()
    fix_at = header.index("Fix")
    yes = {row.split()[0] for row in rows if row[fix_at:fix_at + 3] == "yes"}
    assert yes == marked
    index = docs.index_page(builtin.BUILTIN_RULES)
    assert {line.split("|")[1].strip()[1:7] for line in index.splitlines()
            if line.startswith("| [") and line.split("|")[6].strip() == "yes"} == marked


@pytest.mark.parametrize("rule", builtin.BUILTIN_RULES, ids=lambda r: r.meta.code)
def test_a_fixable_rule_documents_its_fix_and_only_it(rule) -> None:
    section = parse_doc(rule.doc).section("Fix")
    if rule.meta.fixable:
        assert section and section.startswith(("Safe", "Unsafe")), "a fixable rule says how safe its fix is"
        assert "| Autofix | yes" in docs.rule_page(rule)
    else:
        assert section is None, "`## Fix` documents an autofix; this rule has none"
        assert "| Autofix | no |" in docs.rule_page(rule)


@pytest.mark.parametrize("rule", builtin.BUILTIN_RULES, ids=lambda r: r.meta.code)
def test_doc_is_the_docstring_as_written(rule) -> None:
    module = sys.modules[rule.fn.__module__]  # rule() takes the doc from the check's module
    source = Path(module.__file__).read_text(encoding="utf-8")
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant), "the doc is the module docstring"
    literal = ast.get_source_segment(source, node.value)
    prefix = literal[: len(literal) - len(literal.lstrip("rRuU"))]
    written = literal[len(prefix) + 3: -3]
    # Without an r prefix, `\` + newline would join two Dockerfile lines and `\\n` would lose a `\`.
    assert node.value.value == written, "write the docstring as r\"\"\"...\"\"\" so that backslashes stay"
    assert rule.doc == written


@pytest.mark.parametrize("rule", builtin.BUILTIN_RULES, ids=lambda r: r.meta.code)
def test_piped_rule_prints_every_code_block_verbatim(rule) -> None:
    out = io.StringIO()  # not a terminal
    docs.render_rule(rule, out)
    text = out.getvalue()
    blocks = code_blocks(clean_doc(rule.doc), language=None)
    assert blocks or rule.meta.code in ("DF0001", "DF0002")
    for body in blocks:
        assert f"\n{body}" in text
    assert all(line == line.rstrip() for line in text.splitlines())
    assert "\x1b[" not in text


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", *args], capture_output=True,
                          text=True, env=env, timeout=60, check=False)


def test_rule_df2002_piped_keeps_the_line_continuation() -> None:
    result = _cli("rule", "DF2002")
    assert result.returncode == 0, result.stderr
    assert ("RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 \\\n"
            "    && rm -rf /var/lib/apt/lists/*\n") in result.stdout
    assert "| Autofix | no |" in result.stdout


def test_rules_piped_is_not_padded() -> None:
    result = _cli("rules")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Code", "Name", "Severity", "Target", "Status", "Fix", "Aliases"]
    assert len(lines) == len(builtin.BUILTIN_RULES) + 1
    assert all(line == line.rstrip() for line in lines)
    assert all(line.split()[0] == r.meta.code for line, r in zip(lines[1:], builtin.BUILTIN_RULES))


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rule_on_a_terminal_is_rendered_markdown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("NO_COLOR", raising=False)
    rule = docs.find_rule(builtin.BUILTIN_RULES, "DF2002")
    out = _Tty()
    docs.render_rule(rule, out)
    assert "\x1b[" in out.getvalue() and "## What it does" not in out.getvalue()
    plain = _Tty()
    docs.render_rule(rule, plain, color=False)  # --no-color on a terminal: still laid out, no colour
    assert "\x1b[" not in plain.getvalue() and "## What it does" not in plain.getvalue()


def test_rules_json_says_which_rules_are_fixable() -> None:
    import json

    result = _cli("rules", "--format", "json")
    assert result.returncode == 0, result.stderr
    fixable = {r["code"] for r in json.loads(result.stdout) if r["fixable"]}
    assert fixable == {r.meta.code for r in builtin.BUILTIN_RULES if r.meta.fixable}
