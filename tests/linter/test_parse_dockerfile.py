"""Unit tests of parse_dockerfile: spans, stages, forms, flags, heredocs, directives, comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from pylint_image.linter.model.span import Span, slice_text
from pylint_image.linter.parse import parse_dockerfile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parse"


def parse(name: str):
    return parse_dockerfile(FIXTURES / name)


def test_continuation_with_comments_and_empty_lines() -> None:
    df = parse("continuation_comments.Dockerfile")
    run = df.stages[0].instructions[1]
    assert run.keyword == "RUN"
    assert (run.span.start_line, run.span.end_line) == (3, 8)
    assert run.span == Span(3, 1, 8, 35)
    # BuildKit joins continuation lines, dropping comment and empty lines
    assert run.value == (
        "apt-get update     && apt-get install -y        curl     && rm -rf /var/lib/apt/lists/*"
    )
    assert [a.text for a in run.args][:3] == ["apt-get", "update", "&&"]
    assert run.args[2].span == Span(5, 5, 5, 7)
    assert run.args[-1].span == Span(8, 15, 8, 35)
    assert [(c.text, c.span) for c in df.comments] == [
        ("install things", Span(2, 1, 2, 17)),
        ("a comment inside the continuation", Span(4, 5, 4, 40)),
        ("indented comment", Span(9, 3, 9, 21)),
    ]
    env = df.stages[0].instructions[2]
    assert env.span == Span(10, 1, 11, 8) and env.value == "A=1     B=2"


def test_escape_directive_backtick() -> None:
    df = parse("escape_backtick.Dockerfile")
    assert df.directives.escape == "`"
    assert df.directives.spans["escape"] == Span(1, 1, 1, 11)
    run = df.stages[0].instructions[1]
    assert (run.span.start_line, run.span.end_line) == (3, 5)
    assert run.value.endswith("Write-Host C:\\path\\")
    copy = df.stages[0].instructions[2]
    assert [a.text for a in copy.args] == ["C:\\src", "C:\\dst"]


def test_heredocs_of_all_kinds() -> None:
    df = parse("heredocs.Dockerfile")
    assert df.directives.syntax == "docker/dockerfile:1.7"
    ins = df.stages[0].instructions
    assert [i.keyword for i in ins] == ["FROM", "RUN", "RUN", "RUN", "COPY", "RUN", "CMD"]
    run = ins[1]
    (doc,) = run.heredocs
    assert (doc.name, doc.body, doc.strip_tabs, doc.quoted) == ("EOF", "set -eux\napk add --no-cache curl\n", False, False)
    assert doc.span == Span(4, 1, 6, 4) and doc.body_start_line == 4
    assert doc.word_span == Span(3, 5, 3, 10)
    assert [c.args for c in run.heredoc_shells[0].commands()] == [("set", "-eux"), ("apk", "add", "--no-cache", "curl")]
    assert run.scripts()[-1].span_of(next(iter(run.heredoc_shells[0].commands())).argv[0]) == Span(4, 1, 4, 4)
    chomp = ins[2].heredocs[0]
    assert (chomp.name, chomp.strip_tabs, chomp.quoted, chomp.body) == ("SCRIPT", True, True, '\techo "$HOME"\n')
    assert ins[2].heredoc_shells[0] is not None  # fed to bash
    both = ins[3]
    assert [(h.name, h.body) for h in both.heredocs] == [("A", "first\n"), ("B", "second\n")]
    assert both.span.end_line == 14
    copy = ins[4]
    assert copy.heredocs[0].body == "key=value\n" and [a.text for a in copy.args] == ["<<EOF", "/etc/app.conf"]
    assert ins[5].heredoc_shells == (None,)  # python3 reads it: not a shell script
    assert ins[6].form == "exec" and ins[6].heredocs == ()


def test_exec_and_shell_forms() -> None:
    ins = parse("exec_form.Dockerfile").stages[0].instructions
    forms = [(i.keyword, i.form) for i in ins]
    assert forms == [
        ("FROM", "none"), ("SHELL", "exec"), ("RUN", "exec"), ("ENTRYPOINT", "exec"), ("CMD", "shell"),
        ("HEALTHCHECK", "exec"), ("VOLUME", "exec"), ("CMD", "exec"), ("CMD", "shell"),
    ]
    assert [a.text for a in ins[1].args] == ["/bin/bash", "-o", "pipefail", "-c"]
    assert ins[1].args[0].span == Span(2, 8, 2, 19)
    assert ins[2].shell is None and ins[4].shell is None  # only RUN gets a shell script
    hc = ins[5]
    assert [a.text for a in hc.args] == ["CMD", "curl", "-f", "http://localhost/"]
    assert hc.flag("interval") == "30s" and hc.flag("timeout") == "3s"
    assert [a.text for a in ins[7].args] == ["a", "b"]  # BuildKit ignores text after the array


def test_stages_and_aliases() -> None:
    df = parse("stages.Dockerfile")
    assert [a.line for a in df.global_args] == [1, 2, 3]
    s0 = df.stages[0]
    assert (s0.name, s0.platform, s0.base.resolved, s0.base.repository, s0.base.tag) == (
        "Builder", "$BUILDPLATFORM", "python:3.12", "library/python", "3.12"
    )
    assert s0.span == Span(4, 1, 7, 19)
    assert df.stages[1].base.is_stage_alias and df.stages[1].base.raw == "builder"
    assert df.stages[2].base.is_scratch
    assert df.stage("builder") is s0 and df.stage(2) is df.stages[2]
    reg = df.stages[3].base
    assert reg.has_variables and reg.resolved == "${REGISTRY}/base:1.0"
    dig = df.stages[4].base
    assert (dig.registry, dig.repository, dig.tag, dig.digest[:10]) == ("ghcr.io", "org/tool", None, "sha256:012")
    local = df.stages[5].base
    assert (local.registry, local.repository, local.tag) == ("localhost:5000", "team/img", "dev")
    hub = df.stages[6].base
    assert (hub.registry, hub.repository, hub.is_official) == ("docker.io", "library/ubuntu", True)
    assert hub.reference is not None and str(hub.reference) == "docker.io/library/ubuntu"
    assert hub.span is not None
    assert df.line(hub.span.start_line)[hub.span.start_col - 1:hub.span.end_col - 1] == hub.raw
    assert [i.stage_index for i in df.instructions()][:5] == [None, None, None, 0, 0]
    assert [i.index for i in df.instructions()] == list(range(14))


def test_onbuild_sub_instructions() -> None:
    ins = parse("onbuild.Dockerfile").stages[0].instructions
    copy, run, exec_run = (i.onbuild for i in ins[1:])
    assert copy.keyword == "COPY" and copy.flag("chown") == "node"
    assert copy.keyword_span == Span(2, 9, 2, 13) and copy.flags[0].span == Span(2, 14, 2, 26)
    assert run.shell is not None and [c.name for c in run.shell.commands()] == ["npm", "npm"]
    assert exec_run.form == "exec" and ins[3].form == "none"
    assert run.stage_index == 0 and run.index == ins[2].index


def test_crlf_without_final_newline() -> None:
    df = parse("crlf_no_final_newline.Dockerfile")
    assert df.lines[1] == "RUN echo a \\"
    ins = df.stages[0].instructions
    assert [(i.keyword, i.span.start_line, i.span.end_line) for i in ins] == [
        ("FROM", 1, 1), ("RUN", 2, 3), ("RUN", 4, 6), ("CMD", 7, 7),
    ]
    assert ins[1].value == "echo a     && echo b"
    assert ins[2].heredocs[0].body == "ls\r\n"  # BuildKit keeps the CRLF in the body
    assert ins[3].span == Span(7, 1, 7, 11)


def test_flags_with_spans() -> None:
    ins = parse("flags.Dockerfile").stages[0].instructions
    run = ins[1]
    assert [(f.name, f.value) for f in run.flags] == [
        ("mount", "type=cache,target=/root/.cache/go-build"),
        ("mount", "type=secret,id=npmrc,target=/root/.npmrc"),
        ("network", "none"),
    ]
    assert run.flags[2].span == Span(2, 102, 2, 116)
    assert run.value_after_flags == "go build ./..."
    copy = ins[2]
    assert copy.flag("from") == "build" and copy.flag("chmod") == "0755" and copy.has_flag("link")
    assert copy.flag("link") == "" and copy.flag("nope") is None
    assert ins[3].flag("checksum") == "sha256:abc"
    assert ins[4].value_after_flags == "--not-a-flag" and ins[4].flag("security") == "insecure"


def test_keyword_spans_and_case() -> None:
    df = parse_dockerfile("x", "from alpine as Base\n  run echo hi\n")
    run = df.stages[0].instructions[1]
    assert (run.keyword, run.keyword_as_written, run.keyword_span) == ("RUN", "run", Span(2, 3, 2, 6))
    assert slice_text(df.lines, run.span) == "run echo hi"
    assert df.stages[0].name == "Base"


def test_directives_only_at_top_and_case_insensitive() -> None:
    df = parse_dockerfile("x", "# Check=skip=all\n#syntax = docker/dockerfile:1\n\n# escape=`\nFROM a\n")
    assert df.directives.check == "skip=all" and df.directives.syntax == "docker/dockerfile:1"
    assert df.directives.escape == "\\"  # after a blank line it is only a comment
    late = parse_dockerfile("x", "FROM a\n# escape=`\nRUN a `\n")
    assert late.directives.escape == "\\"


def test_bom_is_ignored() -> None:
    df = parse_dockerfile("x", "\ufeffFROM a\n")
    assert df.stages[0].from_instruction.keyword_span == Span(1, 1, 1, 5)


@pytest.mark.parametrize("name", ["empty.Dockerfile", "comments_only.Dockerfile"])
def test_empty_files_have_no_stages(name: str) -> None:
    df = parse(name)
    assert df.stages == () and df.global_args == ()
