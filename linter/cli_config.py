"""Configuration on the command line: ``pylint-image config`` and the config of each linted file.

``pylint-image config --from-hadolint [FILE]`` prints hadolint's configuration (FILE, else the
file hadolint would read from here, merged with ``HADOLINT_*``) as the equivalent
``[tool.pylint-image]`` table for pyproject.toml, or with ``--yaml`` as a
``.pylint-image.yaml``; what cannot be carried over is said on stderr.

The lint command groups files by the config that applies to each (``ConfigResolver``: the
nearest config above the file, up to the repository root) and lints each group with its own.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .config import Config, ConfigResolver, load_hadolint_config
from .errors import ConfigError

if TYPE_CHECKING:
    from .lint import FileResult
    from .plugins import Registry


def lint_per_config(files: Sequence[Path], configs: ConfigResolver, root: Path, registry: Registry,
                    build_args: dict[str, str], jobs: int | None) -> list[FileResult]:
    """Lint ``files``, each group of files sharing a config with that config; results keep the files' order."""
    from .lint import lint_many

    groups: dict[int, tuple[Config, list[Path]]] = {}
    for f in files:
        config = configs.for_path(f)
        groups.setdefault(id(config), (config, []))[1].append(f)
    by_path: dict[Path, FileResult] = {}
    for config, members in groups.values():
        for f, result in zip(members, lint_many(members, root, registry, config, build_args, jobs)):
            by_path[f] = result
    return [by_path[f] for f in files]


def exit_code_per_config(results: Sequence[FileResult], configs: ConfigResolver) -> int:
    """1 when some file has a visible finding at or above its own config's ``fail-on``, else 0."""
    from .findings import Severity

    for r in results:
        config = configs.for_path(r.path)  # stdin's result has the --stdin-filename path its config came from
        if config.fail_on == "never":
            continue
        threshold = Severity(config.fail_on)
        if any(f.suppressed is None and f.severity.at_least(threshold) for f in r.outcome.findings):
            return 1
    return 0


def say_configs(configs: ConfigResolver, stream: TextIO) -> None:
    """The warnings of every config used (hadolint keys we do not know...) and, with ``verbose``, which file each is."""
    from .formatters.base import escape_control  # keys and paths come from the repository: one line each

    for config in configs.used():
        for warning in config.warnings:
            stream.write(f"pylint-image: warning: {escape_control(warning, keep='')}\n")
        if config.verbose:
            what = "hadolint configuration" if config.from_hadolint else "configuration"
            where = (str(config.path) if config.path is not None
                     else "HADOLINT_* variables" if config.from_hadolint else "none (defaults)")
            stream.write(f"pylint-image: {what}: {escape_control(where, keep='')}\n")


def config_parser(parser_cls: type[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The parser of ``pylint-image config``."""
    p = parser_cls(prog="pylint-image config", description="Convert a hadolint configuration into ours.")
    p.add_argument("--from-hadolint", nargs="?", const="", metavar="FILE", required=True,
                   help="hadolint's config FILE (default: the one hadolint would read here, with HADOLINT_*)")
    p.add_argument("--yaml", action="store_true", help="print a .pylint-image.yaml instead of a pyproject.toml table")
    return p


def run_config_command(argv: list[str], parser_cls: type[argparse.ArgumentParser],
                       stdout: TextIO, stderr: TextIO) -> int:
    """``pylint-image config --from-hadolint [FILE] [--yaml]``: print our equivalent of hadolint's configuration."""
    import os

    from . import hadolint_config as hc
    from .plugins import load_registry
    from .selection import token_known

    args = config_parser(parser_cls).parse_args(argv)
    explicit = Path(args.from_hadolint) if args.from_hadolint else None
    cwd = Path.cwd()
    settings = hc.load_settings(cwd, None, explicit)
    if settings is None:
        looked = ", ".join(str(p) for p in hc.candidate_paths(cwd, os.environ))
        raise ConfigError(f"no hadolint configuration found (looked for {looked}, and HADOLINT_* variables)")
    rules = load_registry().rules
    config = load_hadolint_config(cwd, rules, None, explicit=explicit)  # validates, and says what is left out
    assert config is not None, "settings were found"
    table = hc.to_table(settings)
    table = hc.drop_tokens(table, hc.unknown_tokens(table, lambda token: token_known(token, rules)))
    source = settings.path if settings.path is not None else "HADOLINT_* variables"
    if args.yaml:
        stdout.write(f"# .pylint-image.yaml, from hadolint's {source}\n" + hc.render_yaml(table))
    else:
        stdout.write(f"# pyproject.toml, from hadolint's {source}\n" + hc.render_toml(table))
    from .formatters.base import escape_control

    for warning in config.warnings:
        stderr.write(f"pylint-image: warning: {escape_control(warning, keep='')}\n")
    return 0

