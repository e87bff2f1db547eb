"""``pylint-image pin PATH...``: the command line of :mod:`pylint_image.runner.pin`.

Output: one line per reference pinned or updated (stdout; ``--diff`` prints a unified diff
instead), notes on references left alone on purpose and one error line per reference that
could not be resolved (stderr).  Exit code: the worst error's (2 for a wrong reference or
input, 3 for a registry or engine that cannot be reached), else 1 when ``--check`` found
something to pin, else 0.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from pylint_image.linter.errors import InputError, PylintImageError
from pylint_image.runner.pin import (DaemonResolver, Outcome, PinError, RegistryResolver, Resolver,
                                     pin_dockerfile, pin_manifest, write_atomically)

DESCRIPTION = ("Resolve every image tag in Dockerfiles (FROM), Compose, Kubernetes, GitHub Actions and GitLab CI "
               "files to its digest and rewrite it in place as name:tag@sha256:... (the tag is kept).")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``pin``."""
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="Dockerfiles, manifests, or directories to search for them")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 when a reference is not pinned (with --update: or its digest is stale)")
    p.add_argument("--diff", action="store_true", help="print a unified diff of the changes, write nothing")
    p.add_argument("--update", action="store_true",
                   help="also refresh references already pinned to the tag's current digest (old -> new)")
    p.add_argument("--pin-args", action="store_true",
                   help="pin the global ARG default a FROM $NAME uses (otherwise such FROMs are left alone)")
    p.add_argument("--resolver", choices=("registry", "daemon"), default="registry",
                   help="where digests come from: the registry (default; ~/.docker/config.json auths and "
                        "credential helpers) or the local engine's RepoDigests")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="bound on each network wait of the registry resolver (default 30)")


def run_pin_command(argv: list[str], parser_class: type[argparse.ArgumentParser], out: TextIO, err: TextIO,
                    resolver: Resolver | None = None) -> int:
    """Parse ``argv`` and pin; return the exit code."""
    p = parser_class(prog="pylint-image pin", description=DESCRIPTION)
    add_arguments(p)
    args = p.parse_args(argv)
    if args.timeout <= 0:
        p.error("--timeout must be positive")
    if resolver is None:
        resolver = DaemonResolver() if args.resolver == "daemon" else RegistryResolver(timeout=args.timeout)
    return run(args, resolver, out, err)


def run(args: argparse.Namespace, resolver: Resolver, out: TextIO, err: TextIO) -> int:
    """Pin every file ``args.paths`` names; print what changed; return the exit code."""
    from pylint_image.linter.lint import discover

    files, problems, skipped = discover(args.paths)
    codes: list[int] = []
    for line in skipped:
        print(f"pylint-image: warning: {line}", file=err)
    for line in problems:
        print(f"pylint-image: error: {line}", file=err)
        codes.append(2)
    to_pin = 0
    for path in files:
        try:
            outcome = pin_file(path, resolver, update=args.update, pin_args=args.pin_args)
        except PylintImageError as exc:
            print(f"pylint-image: error: {exc}", file=err)
            codes.append(exc.exit_code)
            continue
        except AssertionError as exc:  # the re-read after rewriting disagreed: the file is not written
            print(f"pylint-image: error: {path}: not rewritten, the result did not check out ({exc})", file=err)
            codes.append(3)
            continue
        for note in outcome.notes:
            print(f"pylint-image: note: {note}", file=err)
        for error in outcome.errors:
            print(f"pylint-image: error: {error}", file=err)
            codes.append(error.exit_code)
        to_pin += len(outcome.changes)
        _report(outcome, args, out)
        if outcome.changed and not (args.check or args.diff):
            try:
                write_atomically(path, outcome.new_text)
            except OSError as exc:
                print(f"pylint-image: error: {path}: cannot write ({exc.strerror or exc}); left unchanged",
                      file=err)
                codes.append(2)
    if codes:
        return max(codes)
    return 1 if args.check and to_pin else 0


def pin_file(path: Path, resolver: Resolver, *, update: bool = False, pin_args: bool = False) -> Outcome:
    """Pin one file (read, never written here): a manifest by its name or content, else a Dockerfile."""
    from pylint_image.linter.lint import is_dockerfile_name
    from pylint_image.linter.manifests.refs import detect_kind, is_yaml_name
    from pylint_image.linter.parse.reader import read_dockerfile_text

    text = read_dockerfile_text(path)
    name = path.as_posix()
    kind = None if is_dockerfile_name(path.name) else detect_kind(name, text)
    if kind is not None:
        return pin_manifest(name, text, resolver, update=update, kind=kind)
    if is_yaml_name(name):
        raise InputError("not a Compose, Kubernetes, GitHub Actions or GitLab CI file", name)
    return pin_dockerfile(name, text, resolver, update=update, pin_args=pin_args)


def _report(outcome: Outcome, args: argparse.Namespace, out: TextIO) -> None:
    """Print one file's changes: a unified diff with ``--diff``, else one line per reference."""
    if args.diff:
        if outcome.changed:
            for line in difflib.unified_diff(outcome.text.splitlines(keepends=True),
                                             outcome.new_text.splitlines(keepends=True),
                                             f"a/{outcome.path}", f"b/{outcome.path}"):
                out.write(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return
    verb: Callable[[bool], str] = (lambda updated: "stale" if updated else "not pinned") if args.check else \
        (lambda updated: "updated" if updated else "pinned")
    for ch in sorted(outcome.changes, key=lambda c: (c.line, c.column)):
        where = f"{outcome.path}:{ch.line}"
        if ch.previous is not None:
            print(f"{where}: {verb(True)} {ch.ref}: {ch.previous} -> {ch.digest}", file=out)
        else:
            print(f"{where}: {verb(False)} {ch.ref} -> {ch.digest}", file=out)


__all__ = ["PinError", "add_arguments", "pin_file", "run", "run_pin_command"]
