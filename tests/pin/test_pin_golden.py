"""``pin`` rewrites only the image scalars: golden files per kind, byte-for-byte elsewhere, idempotent.

Each ``golden/*.in`` is copied where its kind is recognised (``.github/workflows/``,
``.gitlab-ci.yml``...), pinned with a fake resolver (digest = sha256 of ``name:tag``), and
compared with ``golden/*.expected``; the unified diff between them must change nothing but
the image words, each by exactly ``@sha256:...`` (and ``:latest`` for an untagged one).
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import re
from pathlib import Path

import pytest

from pylint_image.runner.pin_cli import run_pin_command
from tests.pin.conftest import FakeResolver, fake_digest

GOLDEN = Path(__file__).parent / "golden"
# golden input -> where it is put so that its kind is recognised
PLACES = {
    "compose.yaml.in": "compose.yaml",
    "k8s.yaml.in": "deploy/k8s.yaml",
    "github-ci.yml.in": ".github/workflows/ci.yml",
    "gitlab-ci.yml.in": ".gitlab-ci.yml",
    "pin-dockerfile.in": "Dockerfile",
}
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}")


def _run(argv: list[str], resolver: FakeResolver) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()

    class Parser(argparse.ArgumentParser):
        def error(self, message: str):  # type: ignore[override]
            raise SystemExit(f"usage: {message}")

    code = run_pin_command(argv, Parser, out, err, resolver=resolver)
    return code, out.getvalue(), err.getvalue()


def _place(tmp_path: Path, name: str) -> Path:
    target = tmp_path / PLACES[name]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((GOLDEN / name).read_bytes())
    return target


@pytest.mark.parametrize("name", sorted(PLACES))
def test_golden(tmp_path: Path, name: str) -> None:
    target = _place(tmp_path, name)
    before = target.read_text()
    code, out, err = _run([str(target)], FakeResolver())
    assert code == 0, err
    after = target.read_text()
    expected = (GOLDEN / name.replace(".in", ".expected")).read_text()
    assert after == expected
    # Only the image words changed: every changed line differs from its old self by digests (and :latest).
    old_lines, new_lines = before.splitlines(), after.splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [(o, n) for o, n in zip(old_lines, new_lines) if o != n]
    assert changed, "the golden file pins something"
    for old, new in changed:
        assert _DIGEST.sub("", new).replace(":latest", "") == old.replace(":latest", "")
    # Each reported line names a real change: path:line: pinned REF -> DIGEST
    reported = [re.fullmatch(r"(.+):(\d+): pinned (\S+) -> (sha256:[0-9a-f]{64})", line) for line in out.splitlines()]
    assert all(reported) and len(reported) == len(changed)
    for m in reported:
        assert m is not None
        line = new_lines[int(m.group(2)) - 1]
        assert m.group(4) in line and m.group(3) in line
        key = m.group(3) if re.search(r":[\w.-]+$", m.group(3).rsplit("/", 1)[-1]) else m.group(3) + ":latest"
        assert m.group(4) == fake_digest(key.removeprefix("docker.io/library/"))


@pytest.mark.parametrize("name", sorted(PLACES))
def test_second_run_changes_nothing(tmp_path: Path, name: str) -> None:
    target = _place(tmp_path, name)
    assert _run([str(target)], FakeResolver())[0] == 0
    pinned = target.read_bytes()
    resolver = FakeResolver()
    code, out, _err = _run([str(target)], resolver)
    assert (code, out) == (0, "")
    assert target.read_bytes() == pinned
    assert resolver.asked == []  # a pinned reference is not even looked up without --update
    _run(["--update", str(target)], FakeResolver())  # compose.yaml has a stale digest
    updated = target.read_bytes()
    code, out, _err = _run(["--update", str(target)], FakeResolver())
    assert (code, out, target.read_bytes()) == (0, "", updated)


@pytest.mark.parametrize("name", sorted(PLACES))
def test_check_and_diff_write_nothing(tmp_path: Path, name: str) -> None:
    target = _place(tmp_path, name)
    before = target.read_bytes()
    code, out, _err = _run(["--check", str(target)], FakeResolver())
    assert code == 1 and target.read_bytes() == before
    assert out and all(re.fullmatch(r".+:\d+: not pinned \S+ -> sha256:[0-9a-f]{64}", x) for x in out.splitlines())
    code, out, _err = _run(["--diff", str(target)], FakeResolver())
    assert code == 0 and target.read_bytes() == before
    # The diff is a real unified diff: applying its +/- lines to the file gives the expected file.
    expected = (GOLDEN / name.replace(".in", ".expected")).read_text()
    assert "".join(difflib.restore(_ndiff_from_unified(before.decode(), out), 2)) == expected


def _ndiff_from_unified(original: str, diff: str) -> list[str]:
    """Rebuild an ndiff from a unified diff of ``original`` (to check what the diff says)."""
    lines = diff.splitlines(keepends=True)
    assert lines[0].startswith("--- a/") and lines[1].startswith("+++ b/")
    src = original.splitlines(keepends=True)
    result: list[str] = []
    pos = 0
    i = 2
    while i < len(lines):
        m = re.match(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", lines[i])
        assert m, lines[i]
        start = int(m.group(1)) - 1
        result += ["  " + x for x in src[pos:start]]
        pos = start
        i += 1
        while i < len(lines) and not lines[i].startswith("@@"):
            tag, text = lines[i][0], lines[i][1:]
            if tag == " ":
                result.append("  " + text)
                pos += 1
            elif tag == "-":
                result.append("- " + text)
                pos += 1
            elif tag == "+":
                result.append("+ " + text)
            i += 1
    result += ["  " + x for x in src[pos:]]
    return result


def test_update_refreshes_a_stale_digest_and_reports_old_and_new(tmp_path: Path) -> None:
    target = _place(tmp_path, "compose.yaml.in")
    stale = "sha256:" + "0" * 64
    assert stale in target.read_text()
    code, out, _err = _run(["--check", "--update", str(target)], FakeResolver())
    assert code == 1 and stale in target.read_text()
    assert f"compose.yaml:15: stale alpine:3.20@{stale}: {stale} -> {fake_digest('alpine:3.20')}" in out
    code, out, _err = _run(["--update", str(target)], FakeResolver())
    assert code == 0
    assert f"updated alpine:3.20@{stale}: {stale} -> {fake_digest('alpine:3.20')}" in out
    assert f"image: alpine:3.20@{fake_digest('alpine:3.20')}\n" in target.read_text()


def test_notes_for_templated_and_arg_built_references(tmp_path: Path) -> None:
    compose = _place(tmp_path, "compose.yaml.in")
    dockerfile = _place(tmp_path, "pin-dockerfile.in")
    gitlab = _place(tmp_path, "gitlab-ci.yml.in")
    code, _out, err = _run([str(compose), str(dockerfile), str(gitlab)], FakeResolver())
    assert code == 0
    notes = err.splitlines()
    assert f"pylint-image: note: {compose}:17: ghcr.io/acme/api:${{TAG:-dev}} is templated: left alone" in notes
    assert any(n.startswith(f"pylint-image: note: {dockerfile}:6: FROM ${{BASE}} is built from ARGs: left alone")
               for n in notes)
    assert f"pylint-image: note: {gitlab}:14: $CI_REGISTRY_IMAGE:$VERSION is templated: left alone" in notes
    assert "ARG BASE=debian:bookworm-slim\n" in dockerfile.read_text()


def test_pin_args_pins_the_arg_default_the_from_uses(tmp_path: Path) -> None:
    dockerfile = _place(tmp_path, "pin-dockerfile.in")
    code, out, err = _run(["--pin-args", str(dockerfile)], FakeResolver())
    assert code == 0, err
    text = dockerfile.read_text()
    assert f"ARG BASE=debian:bookworm-slim@{fake_digest('debian:bookworm-slim')}\n" in text
    assert "FROM \\\n    ${BASE} AS runtime\n" in text  # the FROM itself is untouched
    assert f"{dockerfile}:2: pinned debian:bookworm-slim -> " in out


def test_an_unresolvable_reference_is_one_line_and_the_others_are_pinned(tmp_path: Path) -> None:
    target = _place(tmp_path, "compose.yaml.in")
    resolver = FakeResolver(errors={"postgres:16": ("unknown tag or repository (HTTP 404)", 2)})
    code, out, err = _run([str(target)], resolver)
    assert code == 2
    assert err.splitlines().count(f"pylint-image: error: {target}:10: postgres:16: unknown tag or repository "
                                  "(HTTP 404)") == 1
    text = target.read_text()
    assert "image: 'postgres:16'\n" in text
    assert f"image: redis:latest@{fake_digest('redis:latest')}" in text
    assert "pinned postgres" not in out


def test_an_unreachable_registry_is_exit_code_3_and_wins_over_2(tmp_path: Path) -> None:
    target = _place(tmp_path, "compose.yaml.in")
    resolver = FakeResolver(errors={"postgres:16": ("unknown tag", 2),
                                    "registry.example.com/acme/web:1.4": ("registry unreachable", 3)})
    code, _out, err = _run([str(target)], resolver)
    assert code == 3
    assert len([x for x in err.splitlines() if x.startswith("pylint-image: error:")]) == 2


def test_file_mode_and_symlink_are_kept_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    real = _place(tmp_path, "pin-dockerfile.in")
    os.chmod(real, 0o640)
    link = tmp_path / "Dockerfile.link"
    link.symlink_to(real.name)
    assert _run([str(link)], FakeResolver())[0] == 0
    assert link.is_symlink() and os.stat(real).st_mode & 0o7777 == 0o640
    assert "@sha256:" in real.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile", "Dockerfile.link"]


def test_a_failed_write_leaves_the_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _place(tmp_path, "pin-dockerfile.in")
    before = target.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    code, _out, err = _run([str(target)], FakeResolver())
    assert code == 2
    assert f"pylint-image: error: {target}: cannot write (No space left on device); left unchanged" in err
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]


def test_bad_input_is_one_line_without_traceback(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "compose.yaml"
    bad_yaml.write_text("services:\n  web:\n    image: [unclosed\n")
    other = tmp_path / "values.yaml"
    other.write_text("a: 1\n")
    code, _out, err = _run([str(bad_yaml), str(other), str(tmp_path / "missing")], FakeResolver())
    assert code == 2
    lines = err.splitlines()
    assert any(x.startswith(f"pylint-image: error: {bad_yaml}:") and "invalid YAML" in x for x in lines)
    assert f"pylint-image: error: {other}: not a Compose, Kubernetes, GitHub Actions or GitLab CI file" in lines
    assert any(x.startswith("pylint-image: error: ") and "missing: no such file" in x for x in lines)
    assert "Traceback" not in err


def test_crlf_and_a_missing_final_newline_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "compose.yaml"
    target.write_bytes(b"services:\r\n  web:\r\n    image: nginx:1.27 # web\r\n  db:\r\n    image: \"postgres:16\"")
    assert _run([str(target)], FakeResolver())[0] == 0
    assert target.read_bytes() == (
        f"services:\r\n  web:\r\n    image: nginx:1.27@{fake_digest('nginx:1.27')} # web\r\n"
        f"  db:\r\n    image: \"postgres:16@{fake_digest('postgres:16')}\"").encode()


def test_cli_entry_point_and_help(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pylint_image.linter.cli import main

    with pytest.raises(SystemExit) as done:
        main(["pin", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for option in ("--check", "--diff", "--update", "--pin-args", "--resolver", "--timeout"):
        assert option in text
    assert main(["pin", "--resolver", "nope", str(tmp_path)]) == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_an_anchored_scalar_is_pinned_once_for_its_aliases(tmp_path: Path) -> None:
    target = tmp_path / "compose.yaml"
    target.write_text("x-base: &base 'redis:7'   # shared\nservices:\n  a:\n    image: &web nginx:1.27  # c\n"
                      "  b:\n    image: *web\n  c:\n    image: *base\n  d:\n    image: &q \"busybox:1\"\n")
    resolver = FakeResolver()
    code, out, err = _run([str(target)], resolver)
    assert code == 0, err
    assert target.read_text() == (
        f"x-base: &base 'redis:7@{fake_digest('redis:7')}'   # shared\nservices:\n"
        f"  a:\n    image: &web nginx:1.27@{fake_digest('nginx:1.27')}  # c\n"
        f"  b:\n    image: *web\n  c:\n    image: *base\n"
        f"  d:\n    image: &q \"busybox:1@{fake_digest('busybox:1')}\"\n")
    assert sorted(resolver.asked) == ["busybox:1", "nginx:1.27", "redis:7"]
    assert len(out.splitlines()) == 3


@pytest.mark.parametrize("text,expected,notes", [
    # CRLF and extra spacing are kept
    ("FROM alpine:3.20\r\nRUN true\r\nFROM  python:3.12  AS  x\r\n",
     "FROM alpine:3.20@{alpine:3.20}\r\nRUN true\r\nFROM  python:3.12@{python:3.12}  AS  x\r\n", []),
    # the escape directive's continuation
    ("# escape=`\nFROM `\n  alpine:3.20 AS a\nRUN echo `\n  hi\n",
     "# escape=`\nFROM `\n  alpine:3.20@{alpine:3.20} AS a\nRUN echo `\n  hi\n", []),
    # a FROM line inside a heredoc body is text, not an instruction
    ("FROM alpine:3.20 AS a\nCOPY <<EOF /x\nFROM busybox:1\nEOF\nFROM a\n",
     "FROM alpine:3.20@{alpine:3.20} AS a\nCOPY <<EOF /x\nFROM busybox:1\nEOF\nFROM a\n",
     ["Dockerfile:3: dockerfile-parse reads a FROM here that BuildKit does not (in a heredoc?): left alone"]),
    # an ARG used by two FROMs is pinned once; a partial variable is not pinnable
    ("ARG IMG=\"alpine:3.20\"\nFROM $IMG\nFROM ${IMG} AS b\nFROM python:${V}\n",
     "ARG IMG=\"alpine:3.20@{alpine:3.20}\"\nFROM $IMG\nFROM ${IMG} AS b\nFROM python:${V}\n",
     ["Dockerfile:4: FROM python:${V}: no ARG default to pin (only FROM $NAME with a global ARG NAME=default "
      "is pinned)"]),
])
def test_dockerfile_edge_cases(text: str, expected: str, notes: list[str]) -> None:
    from pylint_image.runner.pin import pin_dockerfile

    outcome = pin_dockerfile("Dockerfile", text, FakeResolver(), pin_args=True)
    assert outcome.errors == []
    assert outcome.new_text == re.sub(r"(?<!\$)\{([^{}$]+)\}", lambda m: fake_digest(m.group(1)), expected)
    assert outcome.notes == notes


def test_an_invalid_reference_is_an_error_line(tmp_path: Path) -> None:
    target = tmp_path / "Dockerfile"
    target.write_text("FROM Ubuntu:20.04\nFROM alpine:3.20\n")
    code, _out, err = _run([str(target)], FakeResolver())
    assert code == 2
    assert err.splitlines() == [f"pylint-image: error: {target}:1: Ubuntu:20.04: not an image reference "
                                "(repository name 'library/Ubuntu' "
                                "must be lower-case)"]
    assert target.read_text() == f"FROM Ubuntu:20.04\nFROM alpine:3.20@{fake_digest('alpine:3.20')}\n"
