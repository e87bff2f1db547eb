"""BuildKit oracle: every corpus file parses like BuildKit's own parser (the ``dockerfile`` wheel)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pylint_image.linter.errors import ParseError
from pylint_image.linter.parse import parse_dockerfile

dockerfile_oracle = pytest.importorskip("dockerfile")

_HERE = Path(__file__).resolve()
_CANDIDATES = (_HERE.parents[2].parent / "shared" / "corpus", Path("/work/shared/corpus"))
CORPUS = next((c / "files" for c in _CANDIDATES if (c / "files").is_dir()), None)
FILES = sorted(p.name for p in CORPUS.iterdir()) if CORPUS else []
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parse"

# Files where we knowingly differ from the oracle, with the reason; asserted strictly.
KNOWN_DIFFERENCES: dict[str, str] = {}

# BuildKit's instruction layer (instructions.Parse), which the oracle wheel does not run,
# rejects these; we mirror it on the oracle's own output so the expectation stays independent.
_KNOWN = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
}


def _frontend_error(commands) -> str | None:
    """What BuildKit's dockerfile frontend rejects after a successful parse, or None."""
    seen_from = False
    for c in commands:
        cmd = c.cmd.upper()
        if cmd not in _KNOWN:
            return f"unknown instruction: {c.cmd}"
        if cmd == "FROM":
            seen_from = True
            if not (len(c.value) == 1 or (len(c.value) == 3 and c.value[1].lower() == "as")):
                return "FROM requires either one or three arguments"
        elif not seen_from and cmd != "ARG":
            return "no build stage in current context"
        if cmd == "ONBUILD" and (c.sub_cmd or "").upper() in ("ONBUILD", "FROM", "MAINTAINER"):
            return "invalid ONBUILD trigger"
    return None


def _ours(df):
    out = []
    for ins in df.instructions():
        target = ins.onbuild or ins
        out.append(
            (
                ins.keyword,
                ins.span.start_line,
                ins.span.end_line,
                target.form == "exec",
                tuple((h.name, h.body) for h in (target.heredocs or ins.heredocs)),
            )
        )
    return out


def _theirs(commands):
    return [
        (c.cmd.upper(), c.start_line, c.end_line, c.json, tuple((h.name, h.content) for h in c.heredocs))
        for c in commands
    ]


def compare(path: Path) -> str | None:
    """Return a description of the first disagreement with the oracle, or None."""
    try:
        commands = dockerfile_oracle.parse_file(str(path))
        oracle_error = _frontend_error(commands)
    except dockerfile_oracle.GoParseError as exc:
        commands, oracle_error = None, str(exc)
    try:
        df = parse_dockerfile(path)
    except ParseError as exc:
        if oracle_error is None:
            return f"we reject ({exc}) but BuildKit accepts"
        return None
    if oracle_error is not None:
        if oracle_error == "file with no instructions" and not list(df.instructions()):
            return None  # by design an empty file is a Dockerfile with no stages (rules flag it)
        return f"BuildKit rejects ({oracle_error}) but we accept"
    ours, theirs = _ours(df), _theirs(commands)
    if len(ours) != len(theirs):
        return f"{len(ours)} instructions, BuildKit has {len(theirs)}"
    for a, b in zip(ours, theirs):
        if a != b:
            return f"ours {a!r} != BuildKit {b!r}"
    return None


@pytest.mark.corpus
@pytest.mark.skipif(CORPUS is None, reason="corpus folder ../shared/corpus is absent")
@pytest.mark.parametrize("name", FILES)
def test_agrees_with_buildkit(name: str) -> None:
    problem = compare(CORPUS / name)
    if name in KNOWN_DIFFERENCES:
        assert problem is not None, f"{name} now agrees with BuildKit: remove it from KNOWN_DIFFERENCES"
    else:
        assert problem is None, problem


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.Dockerfile")))
def test_fixtures_agree_with_buildkit(name: str) -> None:
    assert compare(FIXTURES / name) is None
