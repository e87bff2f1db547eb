"""Bad input: one-line InputError/ParseError naming the file (and line), never a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pylint_image.linter.errors import InputError, ParseError
from pylint_image.linter.parse import parse_dockerfile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parse"


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("bad_unterminated_heredoc.Dockerfile", 2, "unterminated heredoc"),
        ("bad_unknown_instruction.Dockerfile", 2, "unknown instruction: FOO"),
        ("bad_no_from.Dockerfile", 2, "no build stage in current context"),
        ("bad_escape.Dockerfile", 1, "invalid escape token 'x'"),
        ("bad_duplicate_directive.Dockerfile", 2, "only one escape parser directive can be used"),
        ("bad_nested_json.Dockerfile", 2, "arrays must be comprised of strings only"),
        ("bad_env_no_value.Dockerfile", 2, "ENV must have two arguments"),
    ],
)
def test_parse_errors_name_file_and_line(name: str, line: int, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_dockerfile(FIXTURES / name)
    err = info.value
    assert err.line == line and message in err.message
    assert str(err).startswith(f"{FIXTURES / name}:{line}: ") and "\n" not in str(err)


@pytest.mark.parametrize(
    "text",
    ["FROM a\nONBUILD FROM b\n", "FROM a\nONBUILD ONBUILD RUN x\n", "FROM\n", "FROM a b\n", "FROM a\nCMD [1]\n"],
)
def test_instruction_layer_errors(text: str) -> None:
    with pytest.raises(ParseError):
        parse_dockerfile("Dockerfile", text)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file") as info:
        parse_dockerfile(tmp_path / "nope")
    assert str(tmp_path / "nope") in str(info.value)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        parse_dockerfile(tmp_path)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    with pytest.raises(InputError, match="binary file"):
        parse_dockerfile(path)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes("FROM alpine\nLABEL author=\"J\u00e9r\u00f4me\"\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8") as info:
        parse_dockerfile(path)
    assert str(path) in str(info.value)


def test_five_megabyte_file_parses_linearly(tmp_path: Path) -> None:
    block = (
        "RUN apt-get update && apt-get install -y curl=7.88 \\\n"
        "    # comment in continuation\n"
        "    && rm -rf /var/lib/apt/lists/* $(echo nested) | tee /dev/null\n"
        "COPY <<EOF /etc/conf\nkey=value\nEOF\n"
    )
    text = "FROM debian:bookworm\n" + block * (5_000_000 // len(block))
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    start = time.process_time()
    df = parse_dockerfile(path)
    elapsed = time.process_time() - start
    assert len(df.stages[0].instructions) > 40_000
    assert elapsed < 30  # generous for loaded CI machines; it takes a few seconds


def test_pathological_shell_nesting_does_not_raise() -> None:
    df = parse_dockerfile("x", "FROM a\nRUN " + "$(" * 5000 + "x" + ")" * 5000 + "\n")
    script = df.stages[0].instructions[1].shell
    assert script is not None and script.errors
