"""The one variable expander against BuildKit's shell-word rules (``frontend/dockerfile/shell/lex.go``).

Each case gives what BuildKit's dispatcher produces (absent names unset: ``unset="empty"``)
and what the linter produces by default (absent names unknown: kept as written).  ``error``
is a text BuildKit refuses (the build fails); the expander returns it as written.
"""

from __future__ import annotations

import pytest

from pylint_image.linter import ExpansionBudget, Scope, expand, has_variables, parse_assignments, scope_at
from pylint_image.linter.expansion import MAX_NESTING
from pylint_image.linter.parse import parse_dockerfile
from pylint_image.rules._shared import variables as shared

ENV = {"A": "1", "EMPTY": "", "SP": "a b", "P": "/home", "N": None}
ERROR = object()

CASES = [
    # (text, BuildKit's result, the linter's result with U, X unknown)
    ("plain", "plain", "plain"),
    ("$A", "1", "1"),
    ("${A}x", "1x", "1x"),
    ("x$A.y", "x1.y", "x1.y"),
    ("$Ab", "", "$Ab"),  # the name is Ab
    ("$SP", "a b", "a b"),
    # escapes: the escape character makes the next one literal and is removed
    ("\\$B", "$B", "$B"),
    ("\\$A", "$A", "$A"),
    ("\\\\$A", "\\1", "\\1"),
    ("a\\ b", "a b", "a b"),
    ("a\\tb", "atb", "atb"),
    ("end\\", "end", "end"),
    # single quotes: literal, quotes removed
    ("'$A'", "$A", "$A"),
    ("'a\\'", "a\\", "a\\"),
    ("he'll'o", "hello", "hello"),
    ("'a", ERROR, ERROR),
    # double quotes: $ expands; the escape escapes only " $ and itself
    ('"$A b"', "1 b", "1 b"),
    ('"\\$A"', "$A", "$A"),
    ('"a\\tb"', "a\\tb", "a\\tb"),
    ('"a\\"b"', 'a"b', 'a"b'),
    ('"it\'s"', "it's", "it's"),
    ('"a', ERROR, ERROR),
    # a $ that starts no name is literal; digits and special parameters are names
    ("5$", "5$", "5$"),
    ("$.x", "$.x", "$.x"),
    ("a$1b", "ab", "a$1b"),
    ("$$", "", "$$"),
    # unknown or unset plain references
    ("$U", "", "$U"),
    ("${U}/x", "/x", "${U}/x"),
    ("$N", "$N", "$N"),  # N is declared without a value: unknown for BuildKit's mode too
    # ${X:-w} ${X-w}
    ("${U:-def}", "def", "def"),
    ("${EMPTY:-def}", "def", "def"),
    ("${EMPTY-def}", "", ""),
    ("${A:-def}", "1", "1"),
    ("${U-def}", "def", "def"),
    ("${N:-def}", "def", "def"),
    ("${U:-${A}}", "1", "1"),
    ("${U:-${X:-in}}", "in", "in"),
    ("${U:-'$A'}", "$A", "$A"),
    ('${U:-"a}b"}', "a}b", "a}b"),
    ("${U:-a\\}b}", "a}b", "a}b"),
    # ${X:+w} ${X+w}
    ("${U:+alt}", "", "${U:+alt}"),
    ("${A:+alt}", "alt", "alt"),
    ("${EMPTY:+alt}", "", ""),
    ("${EMPTY+alt}", "alt", "alt"),
    ("${U+alt}", "", "${U+alt}"),
    ("${N:+alt}", "${N:+alt}", "${N:+alt}"),
    ("${A:+$P}", "/home", "/home"),
    # ${X:?m} ${X?m}
    ("${A:?m}", "1", "1"),
    ("${EMPTY?m}", "", ""),
    ("${EMPTY:?m}", ERROR, ERROR),
    ("${U?must be set}", ERROR, "${U?must be set}"),
    ("${U:?}", ERROR, "${U:?}"),
    # what BuildKit refuses
    ("${}", ERROR, ERROR),
    ("a${:x}", ERROR, ERROR),
    ("${{A}}", ERROR, ERROR),
    ("${A", ERROR, ERROR),
    ("${A:x}", ERROR, ERROR),
    ("${A:#x}", ERROR, ERROR),
    ("${A.}", ERROR, ERROR),
    ("\\${}", "${}", "${}"),
    # pattern removal and replacement: left unknown on purpose
    ("${P#/}", "${P#/}", "${P#/}"),
    ("${P%%e}", "${P%%e}", "${P%%e}"),
    ("${P/home/x}", "${P/home/x}", "${P/home/x}"),
]


@pytest.mark.parametrize(("text", "buildkit", "linter"), CASES, ids=[c[0] for c in CASES])
def test_expander_follows_buildkit(text: str, buildkit: object, linter: object) -> None:
    assert expand(text, ENV, unset="empty") == (text if buildkit is ERROR else buildkit)
    assert expand(text, ENV) == (text if linter is ERROR else linter)


def test_an_unknown_value_stays_visible_to_the_rules() -> None:
    for text in ("$U", "${U}", "${N}", "${U:+x}", "${N+x}", "${U?x}", "pre-${N}-post"):
        assert has_variables(expand(text, ENV)), text
    assert not has_variables(expand("${N:-1.2}", ENV))


def test_the_escape_directive_changes_the_escape_character() -> None:
    assert expand("`$A \\$A", ENV, escape="`") == "$A \\1"
    assert expand('"`"$A"', ENV, escape="`") == '"1'
    df = parse_dockerfile("Dockerfile", "# escape=`\nFROM alpine\nARG A=1\nENV B=`$A-\\$A C=$A\nRUN true\n")
    scope = scope_at(df, df.stages[0].instructions[-1])
    assert (scope["B"], scope["C"], scope.escape) == ("$A-\\1", "1", "`")
    assert expand("`$C", scope) == "$C"  # the scope carries its Dockerfile's escape character


def test_quotes_and_escapes_can_be_left_alone() -> None:
    assert expand("'$A' \"$A\"", ENV, quotes=False) == "'1' \"1\""  # BuildKit's SkipProcessQuotes
    assert expand("\\$A", ENV, escape="") == "\\1"


def test_the_budget_cuts_the_whole_text() -> None:
    budget = ExpansionBudget(5)
    assert expand("'q' $SP", ENV, budget=budget) == "q a b"
    assert budget.left == 2
    assert expand("'q' $SP", ENV, budget=budget) == "'q' $SP"  # 3 > 2: all of it as written
    assert budget.left == 2  # a refused charge costs nothing
    scope = Scope({"A": "x" * 10}, ExpansionBudget(15))
    assert expand("$A", scope) == "x" * 10 and expand("$A", scope) == "$A"  # the scope's budget is shared


def test_nesting_past_the_limit_stays_as_written() -> None:
    deep = "${U:-" * (MAX_NESTING + 1) + "x" + "}" * (MAX_NESTING + 1)
    assert expand(deep, ENV) == deep
    shallow = "${U:-" * MAX_NESTING + "x" + "}" * MAX_NESTING
    assert expand(shallow, ENV) == "x"


def test_arg_and_env_values_are_expanded_as_buildkit_does() -> None:
    df = parse_dockerfile("Dockerfile", (
        "ARG G=g\nFROM alpine AS base\nARG G\nARG Q='$G' D=\"$G x\" E=\\$G\nENV LEGACY a  \"$G\" b\n"
        "ENV PLUS=${G:+set} MISS=${NOPE:+set} DEF=${NOPE:-d}\nARG NOVALUE\nENV NV=$NOVALUE\nRUN true\n"
        "FROM base\nRUN true\n"))
    scope = scope_at(df, df.stages[0].instructions[-1])
    assert {k: scope[k] for k in ("G", "Q", "D", "E", "LEGACY", "PLUS", "MISS", "DEF", "NOVALUE", "NV")} == {
        "G": "g", "Q": "$G", "D": "g x", "E": "$G", "LEGACY": "a  g b", "PLUS": "set",
        "MISS": "${NOPE:+set}", "DEF": "d", "NOVALUE": None, "NV": "$NOVALUE"}
    inherited = scope_at(df, df.stages[1].instructions[-1])
    assert set(inherited) == {"LEGACY", "PLUS", "MISS", "DEF", "NV"}  # ENV is inherited, ARGs are not


def test_rules_use_the_same_expander() -> None:
    assert shared.expand is expand and shared.scope_at is scope_at


def test_parse_assignments_unquotes_without_expanding() -> None:
    df = parse_dockerfile("Dockerfile", "FROM alpine\nENV A=\"x y\" B=${C:-d} D='$E'\nARG F G=1\nENV H  two  words\n")
    env, arg, legacy = df.stages[0].instructions[1:]
    assert parse_assignments(env) == [("A", "x y"), ("B", "${C:-d}"), ("D", "$E")]
    assert parse_assignments(arg) == [("F", None), ("G", "1")]
    assert parse_assignments(legacy) == [("H", "two  words")]
