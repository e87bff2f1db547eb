"""CONTRIBUTING.md cannot rot silently: its paths exist and its commands name real modules and scripts.

Checked in the guide:
- every repository path written in backticks (``linter/parse/variables.py``, ``rules/<target>/``)
  exists; ``<placeholder>`` and ``*`` parts must match at least one file;
- every Markdown link to a file of the repository resolves;
- every ``python3 -m MODULE`` names a module of ours that exists (``pylint_image.…``,
  ``tests.…``, ``bench.…``) or one that is installed (pytest, mypy, pip);
- every ``python3 scripts/….py`` / ``python3 bench/….py`` names an existing script;
- every ``pylint_image.…`` module named in backticks exists.
And README.md links to the guide.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "CONTRIBUTING.md"
# First path components that mean "a path in this repository".
TOP_DIRS = ("linter", "rules", "runner", "tests", "docs", "scripts", "bench", "examples", ".ci")
TOP_FILES = ("README.md", "CONTRIBUTING.md", "pyproject.toml", "py.typed", ".pre-commit-hooks.yaml")
OUR_PACKAGES = {"pylint_image.linter": "linter", "pylint_image.rules": "rules", "pylint_image.runner": "runner",
                "tests": "tests", "bench": "bench"}

_SPAN = re.compile(r"`([^`\n]+)`")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_MODULE_CMD = re.compile(r"\bpython3?(?:\s+-[A-Za-z](?:\s+[^\s-]\S*)?)*\s+-m\s+([A-Za-z_][\w.]*)")
_SCRIPT_CMD = re.compile(r"\bpython3?(?:\s+-(?!m\b)[A-Za-z](?:\s+[^\s-]\S*)?)*\s+((?:scripts|bench|tests)/[\w./-]+\.py)\b")
_DOTTED = re.compile(r"^pylint_image(?:\.\w+)+$")


def _inline_spans(text: str) -> list[str]:
    """The inline code spans outside fenced blocks (a fence's ``` would pair up wrongly)."""
    return _SPAN.findall(_FENCE.sub("", text))


def repo_paths(text: str) -> list[str]:
    """The backticked spans that are paths in the repository (one word, rooted at a top-level entry)."""
    found = []
    for span in _inline_spans(text):
        word = span.strip()
        if " " in word or word.startswith(("/", "../", "http")):
            continue
        first = word.split("/", 1)[0]
        if (first in TOP_DIRS and "/" in word) or word in TOP_FILES:
            found.append(word)
    return found


def path_exists(path: str, root: Path = REPO) -> bool:
    """True when ``path`` exists; ``<…>`` and ``*`` parts must match at least one entry."""
    pattern = re.sub(r"<[^>]*>", "*", path).rstrip("/")
    if "*" in pattern:
        return any(root.glob(pattern))
    return (root / pattern).exists()


def module_commands(text: str) -> list[str]:
    return _MODULE_CMD.findall(text)


def script_commands(text: str) -> list[str]:
    return _SCRIPT_CMD.findall(text)


def module_exists(name: str, root: Path = REPO) -> bool:
    """A module of ours exists as a file of the repository; any other must be importable."""
    for package, folder in OUR_PACKAGES.items():
        if name == package or name.startswith(package + "."):
            rest = name[len(package):].lstrip(".").split(".") if name != package else []
            base = root.joinpath(folder, *rest)
            return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()
    if name.startswith("pylint_image."):
        return False   # not one of the three packages
    return importlib.util.find_spec(name) is not None


@pytest.fixture(scope="module")
def guide() -> str:
    assert GUIDE.is_file(), "CONTRIBUTING.md is missing"
    return GUIDE.read_text(encoding="utf-8")


def test_every_backticked_repo_path_exists(guide: str) -> None:
    paths = repo_paths(guide)
    assert len(paths) >= 60, f"the path extractor found only {len(paths)} paths: it no longer reads the guide"
    missing = sorted({p for p in paths if not path_exists(p)})
    assert not missing, f"CONTRIBUTING.md names paths that do not exist: {missing}"


def test_every_markdown_link_to_a_repo_file_resolves(guide: str) -> None:
    targets = [t.split("#", 1)[0] for t in _LINK.findall(guide) if not re.match(r"^[a-z]+:", t)]
    missing = sorted({t for t in targets if t and not (REPO / t).exists()})
    assert not missing, missing


def test_every_python_command_names_an_existing_module_or_script(guide: str) -> None:
    modules, scripts = module_commands(guide), script_commands(guide)
    ours = [m for m in modules if m.startswith(("pylint_image.", "tests.", "bench."))]
    assert len(ours) >= 3 and "pytest" in modules and len(scripts) >= 3, (modules, scripts)
    assert not [m for m in modules if not module_exists(m)], modules
    assert not [s for s in scripts if not (REPO / s).is_file()], scripts


def test_every_backticked_pylint_image_module_exists(guide: str) -> None:
    names = [s.split(":", 1)[0] for s in _inline_spans(guide) if _DOTTED.match(s.split(":", 1)[0])]
    assert "pylint_image.linter" in names
    # a dotted name may end in an attribute (``pipeline.probes_needed``): its module must exist
    missing = [n for n in names if not (module_exists(n) or module_exists(n.rsplit(".", 1)[0]))]
    assert not missing, missing


def test_the_checks_catch_what_rots() -> None:
    """The extractors see each form the guide uses, and a wrong path or module fails."""
    sample = ("See `linter/no_such_module.py`, `rules/<target>/__init__.py`, `tests/fixtures/runtime/<CODE>/*.json`\n"
              "and `README.md`; not `rNNNN_name.py` or `pip install -e '.[test]'`.\n"
              "```sh\npython3 -X importtime -m pylint_image.linter.gone --out x\n"
              "PYLINT_IMAGE_X=1 python3 -m pytest -q tests/test_cli.py\npython3 scripts/gen_nothing.py /tmp/x\n```\n")
    assert repo_paths(sample) == ["linter/no_such_module.py", "rules/<target>/__init__.py",
                                  "tests/fixtures/runtime/<CODE>/*.json", "README.md"]
    assert [path_exists(p) for p in repo_paths(sample)] == [False, True, True, True]
    assert module_commands(sample) == ["pylint_image.linter.gone", "pytest"]
    assert [module_exists(m) for m in module_commands(sample)] == [False, True]
    assert script_commands(sample) == ["scripts/gen_nothing.py"]
    assert module_exists("pylint_image.linter.parse.shell") and module_exists("tests.support.runtime_fixtures")
    assert not module_exists("pylint_image.nowhere") and not module_exists("no_such_top_level_module_xyz")


def test_readme_links_to_the_guide() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "](CONTRIBUTING.md)" in readme
