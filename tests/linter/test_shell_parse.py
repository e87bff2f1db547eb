"""The shared shell parser: commands, operators, groups, substitutions, offsets; never raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from pylint_image.linter.errors import ParseError
from pylint_image.linter.model.span import Span
from pylint_image.linter.parse import parse_dockerfile
from pylint_image.linter.parse.shell import Group, parse_shell


def test_and_chain_with_quotes_and_offsets() -> None:
    src = 'apt-get install -y "lib foo" curl=7.8 && rm -rf /var/lib/apt/lists/*'
    script = parse_shell(src)
    cmds = list(script.commands())
    assert [c.args for c in cmds] == [
        ("apt-get", "install", "-y", "lib foo", "curl=7.8"),
        ("rm", "-rf", "/var/lib/apt/lists/*"),
    ]
    assert script.body.operators == ("&&",)
    quoted = cmds[0].argv[3]
    assert quoted.quoted and quoted.raw == '"lib foo"' and src[quoted.start : quoted.end] == '"lib foo"'
    assert not cmds[0].argv[4].quoted


def test_operators_pipes_groups_and_background() -> None:
    script = parse_shell("a || b; c | d |& e & { f; g; } && (h) > out 2>&1")
    body = script.body
    assert body.operators == ("||", ";", "&", "&&")
    assert [p.is_pipe for p in body.items] == [False, False, True, False, False]
    assert [c.name for c in script.commands()] == ["a", "b", "c", "d", "e", "f", "g", "h"]
    group, sub = body.items[3].commands[0], body.items[4].commands[0]
    assert isinstance(group, Group) and group.kind == "{"
    assert isinstance(sub, Group) and sub.kind == "(" and [r.op for r in sub.redirects] == [">", "2>&"]


def test_assignments_redirects_and_substitutions() -> None:
    script = parse_shell('DEBIAN_FRONTEND=noninteractive X="a b" make -j"$(nproc)" `uname -m` >/dev/null')
    make = next(script.commands())
    assert [w.text for w in make.assignments] == ["DEBIAN_FRONTEND=noninteractive", "X=a b"]
    assert make.name == "make" and make.argv[1].expands and make.argv[1].quoted
    assert [r.op for r in make.redirects] == [">"] and make.redirects[0].target.text == "/dev/null"
    assert [c.name for c in script.commands()] == ["make", "nproc", "uname"]


def test_compound_commands() -> None:
    src = (
        "if [ -f /x ]; then apt-get install -y a; elif true; then :; else echo no; fi\n"
        "for p in a b; do pip install $p; done\n"
        'case "$ARCH" in amd64|x86_64) A=1 curl -o x y ;; *) exit 1 ;; esac\n'
        "while read -r l; do echo \"$l\"; done < list\n"
        "f() { ls -l; }\n"
        "(( n += 1 ))"
    )
    script = parse_shell(src)
    names = [c.name for c in script.commands()]
    assert names == ["[", "apt-get", "true", ":", "echo", "pip", "curl", "exit", "read", "echo", "ls", None]
    assert not script.errors


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("set -euo pipefail && curl x | sh", True),
        ("set -o pipefail; a | b", True),
        ("set -eux; a | b", False),
        ("echo set -o pipefail", False),
        ("set +o pipefail", False),
    ],
)
def test_pipefail_detection(src: str, expected: bool) -> None:
    assert parse_shell(src).sets_pipefail is expected


def test_comments_and_continuations() -> None:
    script = parse_shell("echo a \\\n  b # trailing\n# whole line\nls")
    assert [c.args for c in script.commands()] == [("echo", "a", "b"), ("ls",)]
    assert [t for _, t in script.comments] == ["trailing", "whole line"]


def test_inline_heredoc_in_script_body() -> None:
    script = parse_shell("cat <<EOF > /etc/x\nhello $name\nEOF\necho done\n")
    assert [c.name for c in script.commands()] == ["cat", "echo"]
    assert script.heredoc_bodies == ((4, "hello $name\n"),)


@pytest.mark.parametrize(
    ("src", "commands", "errors"),
    [
        ('echo "unterminated', [("echo", "unterminated")], ('unterminated "',)),
        ("echo 'x", [("echo", "x")], ("unterminated ' at 5",)),
        ("a && && b", [("a",), ("b",)], ("unexpected '&&' at 5",)),
        ("echo )(", [("echo",)], ("unexpected ')' at 5", "unterminated (")),
        ("`", [("`",)], ("unterminated ` at 0",)),
        ("$(", [("$(",)], ("unterminated $( at 0",)),
        ("echo $(ls", [("echo", "$(ls"), ("ls",)], ("unterminated $( at 5",)),
        ("case x in", [], ("missing 'esac'",)),
        ("if", [], ("missing 'fi'",)),
        ("for x in a b; do echo $x", [("echo", "$x")], ("missing 'done'",)),
    ],
)
def test_broken_input_is_parsed_as_far_as_it_goes_and_the_error_recorded(
        src: str, commands: list[tuple[str, ...]], errors: tuple[str, ...]) -> None:
    script = parse_shell(src)
    assert [c.args for c in script.commands()] == commands
    assert script.errors == errors
    for command in script.commands():
        for word in command.argv:   # every word still points at its own text
            assert src[word.start : word.end] == word.raw
            assert script.span_of(word) == Span(1, word.start + 1, 1, word.end + 1)


@pytest.mark.parametrize(
    ("src", "commands"),
    [("${", [("${",)]), ("x |", [("x",), ()]), ("((", [()])],
)
def test_broken_input_tolerated_without_an_error_is_still_parsed(src: str, commands: list[tuple[str, ...]]) -> None:
    assert [c.args for c in parse_shell(src).commands()] == commands


@pytest.mark.xfail(strict=True, reason="known gap: these syntax errors are tolerated without an entry in errors")
@pytest.mark.parametrize("src", ["${", "x |", "(("])
def test_known_gap_syntax_errors_without_an_error_entry(src: str) -> None:
    assert parse_shell(src).errors


def test_offsets_map_to_dockerfile_lines_and_columns() -> None:
    df = parse_dockerfile("x", "FROM a\nRUN --mount=type=cache,target=/c apt-get update \\\n    && apt-get install -y vim\n")
    run = df.stages[0].instructions[1]
    second = list(run.shell.commands())[1]
    assert run.shell.span_of(second) == Span(3, 8, 3, 30)
    assert run.shell.span_of(second.argv[3]) == Span(3, 27, 3, 30)
    assert run.shell.span_of(next(run.shell.commands()).argv[0]) == Span(2, 34, 2, 41)


_CANDIDATES = (Path(__file__).resolve().parents[2].parent / "shared" / "corpus", Path("/work/shared/corpus"))
CORPUS = next((c / "files" for c in _CANDIDATES if (c / "files").is_dir()), None)


@pytest.mark.corpus
@pytest.mark.skipif(CORPUS is None, reason="corpus folder ../shared/corpus is absent")
def test_every_corpus_run_parses() -> None:
    scripts = 0
    for path in sorted(CORPUS.iterdir()):
        try:
            df = parse_dockerfile(path)
        except ParseError:
            continue
        for ins in df.instructions():
            target = ins.onbuild or ins
            if target.keyword == "RUN" and target.form == "shell":
                assert target.shell is not None
            for script in target.scripts():
                scripts += 1
                for command in script.commands():
                    for word in command.argv:
                        span = script.span_of(word)
                        # every word lies inside its instruction (or its heredoc body)
                        assert span.start_line <= span.end_line, (path.name, word.raw)
                        assert target.span.start_line <= span.start_line, (path.name, word.raw)
    assert scripts > 2000
