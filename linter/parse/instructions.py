"""Builds one model Instruction (spans, flags, form, args, heredocs) from a scanned logical line."""

from __future__ import annotations

from dataclasses import replace

from ..errors import ParseError
from ..model.dockerfile import Arg, Flag, Form, Heredoc, Instruction
from ..model.span import Span
from .buildkit_words import NotStringArray, extract_flags, parse_json_array, split_keyword, split_words
from .scanner import LogicalLine
from .shell import attach_heredoc_shells, parse_shell

# instructions whose arguments may be a JSON array (BuildKit's parseMaybeJSON[ToList])
JSON_CAPABLE = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "ADD", "COPY", "VOLUME"})
KNOWN = frozenset(
    {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
     "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
)
_SPACE = " \t\n\r\v\f\x85\xa0"


class InstructionBuilder:
    """Turns logical lines into Instructions for one file."""

    def __init__(self, physical: list[str], path: str, escape: str) -> None:
        self.physical = physical
        self.path = path
        self.escape = escape

    def span(self, node: LogicalLine, start: int, end: int) -> Span:
        """Span of joined-text offsets ``[start, end)``."""
        sl, sc = node.position(start)
        el, ec = node.end_position(end) if end > start else (sl, sc)
        return Span(sl, sc, el, ec)

    def spans(self, node: LogicalLine, pairs: list[tuple[int, int, str]], base: int) -> list[Arg]:
        """Args for ``(start, end, text)`` tokens at ``base`` + offsets, in increasing order."""
        if len(node.offsets) == 1:  # one physical line: columns are plain offsets
            line, col0 = node.lines[0], node.cols[0] + base
            return [Arg(t, Span(line, col0 + s, line, col0 + e)) for s, e, t in pairs]
        offs, lines, cols = node.offsets, node.lines, node.cols
        last = len(offs) - 1
        out = []
        k = 0
        for s, e, t in pairs:
            a = base + s
            b = base + e - 1 if e > s else a
            while k < last and offs[k + 1] <= a:  # tokens come in order: walk the pieces once
                k += 1
            j = k
            while j < last and offs[j + 1] <= b:
                j += 1
            sc = cols[k] + a - offs[k]
            ec = cols[j] + b - offs[j] + 1 if e > s else sc
            out.append(Arg(t, Span(lines[k], sc, lines[j], ec)))
        return out

    def build(self, node: LogicalLine, offset: int = 0, stage_index: int | None = None, index: int = 0) -> Instruction:
        """Build the instruction that starts at ``offset`` of ``node`` (non-zero for ONBUILD)."""
        text = node.text
        kw_rel, rest_rel = split_keyword(text[offset:])
        kw_at = len(text[offset:]) - len(text[offset:].lstrip(_SPACE)) + offset
        rest_at = rest_rel + offset
        keyword = kw_rel.upper()
        kw_span = self.span(node, kw_at, kw_at + len(kw_rel))
        flag_words, args_at = extract_flags(text, rest_at) if rest_at < len(text) else ([], len(text))
        rest = text[args_at:].strip(_SPACE)
        args_at += len(text[args_at:]) - len(text[args_at:].lstrip(_SPACE))
        end_line = node.end_line
        end_col = len(self.physical[end_line - 1]) + 1 if end_line <= len(self.physical) else 1
        # BuildKit starts an instruction at its first line even when that line holds only a
        # continuation character, so the span starts there rather than at the keyword
        start_line, start_col = node.lines[0], node.cols[0]
        if offset:
            start_line, start_col = kw_span.start_line, kw_span.start_col
        span = Span(start_line, start_col, end_line, end_col)
        flags = tuple(self._flag(node, s, e, w) for s, e, w in flag_words)
        form, args = self._form_and_args(node, keyword, rest, args_at, span.start_line)
        if keyword in ("ENV", "LABEL"):
            self._check_name_value(keyword, rest, span.start_line)
        onbuild = None
        if keyword == "ONBUILD" and rest:
            onbuild = self.build(node, args_at, stage_index, index)
        heredocs: tuple[Heredoc, ...] = ()
        if node.heredocs and offset == 0:
            heredocs = tuple(self._heredoc(node, d) for d in node.heredocs)
            if onbuild is not None:
                onbuild = attach_heredoc_shells(replace(onbuild, heredocs=heredocs))
                heredocs = ()
        shell = None
        if keyword == "RUN" and form == "shell":
            shell = parse_shell(rest, _anchors(node, args_at))
        ins = Instruction(
            keyword=keyword,
            raw=self._raw(span),
            value=text[rest_at:].strip(_SPACE),
            span=span,
            keyword_span=kw_span,
            keyword_as_written=kw_rel,
            flags=flags,
            form=form,
            args=args,
            heredocs=heredocs,
            onbuild=onbuild,
            rest=rest,
            shell=shell,
            stage_index=stage_index,
            index=index,
        )
        return attach_heredoc_shells(ins) if heredocs else ins

    def _raw(self, span: Span) -> str:
        """The source lines of ``span``, starting at its first column."""
        lines = self.physical[span.start_line - 1 : span.end_line]
        if lines:
            lines[0] = lines[0][span.start_col - 1 :]
        return "\n".join(lines)

    def _flag(self, node: LogicalLine, start: int, end: int, word: str) -> Flag:
        name, eq, value = word[2:].partition("=")
        return Flag(name=name, value=value if eq else None, span=self.span(node, start, end))

    def _form_and_args(
        self, node: LogicalLine, keyword: str, rest: str, at: int, line: int
    ) -> tuple[Form, tuple[Arg, ...]]:
        body, body_at = rest, at
        if keyword == "HEALTHCHECK" and rest:
            first = split_words(rest, self.escape)[0]
            body = rest[first[1]:].lstrip(_SPACE)
            body_at = at + len(rest) - len(body)
        items = None
        if keyword in JSON_CAPABLE or (keyword == "HEALTHCHECK" and body):
            try:
                items = parse_json_array(body)
            except NotStringArray as exc:
                raise ParseError(str(exc), self.path, line) from None
        if items is not None:
            args = self.spans(node, items, body_at)
            if keyword == "HEALTHCHECK":
                head = rest[: len(rest) - len(body)].strip(_SPACE)
                args.insert(0, Arg(head, self.span(node, at, at + len(head))))
            return "exec", tuple(args)
        words = tuple(self.spans(node, split_words(rest, self.escape), at))
        if not rest:
            return "none", words
        if keyword in JSON_CAPABLE:
            return "shell", words
        if keyword == "HEALTHCHECK" and body:
            return "shell", words
        return "none", words

    def _check_name_value(self, keyword: str, rest: str, line: int) -> None:
        """Reject ENV/LABEL forms BuildKit's parseNameVal rejects."""
        words = [w for _, _, w in split_words(rest, self.escape)]
        if not words:
            return
        if "=" not in words[0]:
            if len(rest.split(None, 1)) < 2:
                raise ParseError(f"{keyword} must have two arguments", self.path, line)
            return
        for w in words:
            if "=" not in w:
                raise ParseError(
                    f"Syntax error - can't find = in {w!r}. Must be of the form: name=value",
                    self.path,
                    line,
                )

    def _heredoc(self, node: LogicalLine, d: object) -> Heredoc:
        from .heredoc import RawHeredoc

        assert isinstance(d, RawHeredoc)
        end_text = self.physical[d.end_line - 1]
        return Heredoc(
            name=d.name,
            body=d.content,
            strip_tabs=d.chomp,
            quoted=d.quoted,
            span=Span(min(d.body_start_line, d.end_line), 1, d.end_line, len(end_text) + 1),
            body_start_line=d.body_start_line,
            fd=d.fd,
            word_span=self.span(node, d.word_start, d.word_end),
        )


def _anchors(node: LogicalLine, at: int) -> tuple[tuple[int, int, int], ...]:
    """Offset anchors mapping ``node.text[at:]`` back to source lines and columns."""
    line, col = node.position(at)
    out = [(0, line, col)]
    for o, ln, c in zip(node.offsets, node.lines, node.cols):
        if o > at:
            out.append((o - at, ln, c))
    return tuple(out)
