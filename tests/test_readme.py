"""README doctest: every shell command of README.md runs, or says why it does not.

The contract, for every fenced block whose language is a shell (``sh``, ``bash``, ``shell``,
``console``): the line above its fence is one of

- ``<!-- runnable -->``: run; it must exit 0;
- ``<!-- runnable: exit=N -->``: run; it must exit N (linting the example exits 1: it has findings);
- ``<!-- not-runnable: REASON -->``: not run, and REASON says why.

A shell block without one of these fails the test, and so does a fence without a language (a
command line could hide in it). The runnable blocks run in README order with ``sh -e``, in a
fresh clone of the working tree as git would commit it (tracked and untracked files, minus the
ignored ones), so a script the README names must exist there. Each block gets a fresh venv of its
own on PATH (``--system-site-packages``: the tool's dependencies come from the environment that
runs the tests, so ``pip install`` does not download them), and the clone's own ``.venv``, which
``scripts/setup.sh`` makes, is kept from block to block. Placeholders are filled in: ``<repo-url>``
with the clone's ``file://`` URL and ``<ref>`` with its HEAD commit; any other ``<...>`` in a
runnable block fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SHELLS = {"sh", "bash", "shell", "console"}

_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_MARKER = re.compile(r"<!--\s*(runnable|not-runnable)\s*(?::\s*(.*?))?\s*-->")
_PLACEHOLDER = re.compile(r"<[a-z][a-z0-9-]*>")


@dataclass(frozen=True)
class Block:
    line: int             # of the opening fence, 1-based
    lang: str
    body: str
    marker: str | None    # runnable, not-runnable or None
    argument: str         # after the colon: exit=N, or the reason

    @property
    def expected_exit(self) -> int:
        match = re.fullmatch(r"exit=(\d+)", self.argument)
        return int(match.group(1)) if match else 0


def readme_blocks(text: str) -> list[Block]:
    blocks = []
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = [ln for ln in text[:match.start()].splitlines() if ln.strip()]
        marker = _MARKER.fullmatch(before[-1].strip()) if before else None
        blocks.append(Block(line, match.group(1).strip(), match.group(2),
                            marker.group(1) if marker else None, (marker.group(2) or "") if marker else ""))
    return blocks


def shell_blocks(text: str) -> list[Block]:
    return [b for b in readme_blocks(text) if b.lang in SHELLS]


def contract_errors(text: str) -> list[str]:
    """What breaks the contract of the module docstring, one line each (README.md:LINE: ...)."""
    errors = []
    for block in readme_blocks(text):
        where = f"README.md:{block.line}"
        if not block.lang:
            errors.append(f"{where}: a fence without a language (use sh for commands, text for anything else)")
        elif block.lang not in SHELLS:
            if block.marker:
                errors.append(f"{where}: a {block.marker} marker above a {block.lang} block")
        elif block.marker is None:
            errors.append(f"{where}: a shell block without <!-- runnable --> or <!-- not-runnable: REASON -->")
        elif block.marker == "runnable":
            if block.argument and not re.fullmatch(r"exit=\d+", block.argument):
                errors.append(f"{where}: runnable takes only exit=N, not {block.argument!r}")
            unknown = set(_PLACEHOLDER.findall(block.body)) - {"<repo-url>", "<ref>"}
            if unknown:
                errors.append(f"{where}: placeholders the test cannot fill: {sorted(unknown)}")
        elif len(block.argument.split()) < 3:
            errors.append(f"{where}: not-runnable needs a reason")
    return errors


# --- the contract (fast) ------------------------------------------------------------------------


def test_every_shell_block_of_the_readme_is_marked() -> None:
    assert contract_errors(README.read_text(encoding="utf-8")) == []


def test_the_contract_catches_unmarked_and_unexplained_blocks() -> None:
    text = ("intro\n\n```sh\nrm -rf build\n```\n\n<!-- not-runnable: -->\n```sh\nmake\n```\n\n"
            "```\nls\n```\n\n<!-- runnable: exit=one -->\n```bash\ntrue\n```\n\n"
            "<!-- runnable -->\n```sh\ncurl <host>\n```\n\n<!-- runnable -->\n```toml\na = 1\n```\n")
    assert contract_errors(text) == [
        "README.md:3: a shell block without <!-- runnable --> or <!-- not-runnable: REASON -->",
        "README.md:8: not-runnable needs a reason",
        "README.md:12: a fence without a language (use sh for commands, text for anything else)",
        "README.md:17: runnable takes only exit=N, not 'exit=one'",
        "README.md:22: placeholders the test cannot fill: ['<host>']",
        "README.md:27: a runnable marker above a toml block",
    ]


def test_the_readme_offers_installs_that_exist() -> None:
    """The issue's bad routes are gone; the working ones are run (see the slow test)."""
    text = README.read_text(encoding="utf-8")
    assert "pip install pylint-image" not in text   # no such distribution
    assert "rev: v0.1.0" not in text                # no such tag
    runnable = [b.body.strip() for b in shell_blocks(text) if b.marker == "runnable"]
    assert runnable[:5] == [
        "python3 -m pip install .",
        'python3 -m pip install "git+<repo-url>@<ref>"',
        "scripts/setup.sh",
        ".venv/bin/pylint-image examples/Dockerfile",
        "scripts/setup.sh --test",
    ]
    lint = next(b for b in shell_blocks(text) if b.body.strip() == ".venv/bin/pylint-image examples/Dockerfile")
    assert lint.expected_exit == 1
    assert not any(line.lstrip().startswith("sudo ") for b in shell_blocks(text) for line in b.body.splitlines())


# --- running them (slow) ------------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=120).stdout


def _snapshot_clone(tmp: Path) -> Path:
    """A clone of the working tree as `git add -A && git commit` would record it."""
    source = tmp / "source"
    source.mkdir()
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            check=True, capture_output=True, timeout=60).stdout.decode().split("\0")
    for name in filter(None, listed):
        path = REPO / name
        if path.is_file() or path.is_symlink():   # a file deleted but not yet committed is listed too
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, source / name, follow_symlinks=False)
    _git(source, "init", "-q")
    _git(source, "add", "-A")
    _git(source, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "snapshot")
    clone = tmp / "clone"
    _git(tmp, "clone", "-q", str(source), str(clone))
    return clone


def _installed_from(python: Path) -> str:
    return subprocess.run([str(python), "-c", "import pylint_image.linter as m; print(m.__file__)"],
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()


@pytest.mark.slow
def test_readme_runnable_blocks_run_in_a_fresh_clone(tmp_path: Path) -> None:
    assert contract_errors(README.read_text(encoding="utf-8")) == []
    clone = _snapshot_clone(tmp_path)
    head = _git(clone, "rev-parse", "HEAD").strip()
    blocks = [b for b in shell_blocks(README.read_text(encoding="utf-8")) if b.marker == "runnable"]
    assert blocks
    for index, block in enumerate(blocks):
        venv = tmp_path / f"venv{index}"
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True,
                       capture_output=True, timeout=300)
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
        env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", NO_COLOR="1",
                   PIP_DISABLE_PIP_VERSION_CHECK="1")
        script = block.body.replace("<repo-url>", clone.as_uri()).replace("<ref>", head)
        result = subprocess.run(["sh", "-ec", script], cwd=clone, env=env, capture_output=True, text=True,
                                timeout=900)
        told = f"README.md:{block.line}: {block.body.strip()!r} exited {result.returncode}\n{result.stdout}{result.stderr}"
        assert result.returncode == block.expected_exit, told
        command = block.body.strip()
        # What each install claims, checked beyond its exit code.
        if command.startswith("python3 -m pip install"):
            where = _installed_from(venv / "bin" / "python")
            assert where.startswith(str(venv)), f"{told}\ninstalled at {where}, not in the fresh venv"
        elif command.startswith("scripts/setup.sh"):
            assert _installed_from(clone / ".venv" / "bin" / "python") == str(clone / "linter" / "__init__.py")
            if "--test" in command:
                subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c", "import pytest, jsonschema, mypy"],
                               check=True, capture_output=True, timeout=60)
        elif command == ".venv/bin/pylint-image examples/Dockerfile":
            assert "examples/Dockerfile:" in result.stdout and "findings" in result.stdout, told
