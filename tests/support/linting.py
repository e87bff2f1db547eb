"""Run the real engine on text or files, as the CLI does, for tests."""

from __future__ import annotations

import functools
from pathlib import Path

from pylint_image.linter.config import Config, build_config
from pylint_image.linter.lint import FileResult, lint_one
from pylint_image.linter.plugins import Registry, load_registry


@functools.lru_cache(maxsize=1)
def registry() -> Registry:
    """The installed rule registry (built-ins and any plugin in the environment)."""
    return load_registry()


def config_for(table: dict | None = None) -> Config:
    """A validated Config from a raw table (the same path as the config file)."""
    return build_config(table or {}, registry().rules)


def lint_text(text: str, *, path: str = "Dockerfile", table: dict | None = None,
              build_args: dict[str, str] | None = None) -> FileResult:
    """Lint ``text`` as if it were the file ``path``."""
    return lint_one(Path(path), Path.cwd(), registry(), config_for(table), build_args or {}, text=text)


def lint_file(path: Path, *, table: dict | None = None, build_args: dict[str, str] | None = None) -> FileResult:
    """Lint a file on disk."""
    return lint_one(path, Path.cwd(), registry(), config_for(table), build_args or {})
