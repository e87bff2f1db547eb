"""Lint Dockerfiles and manifests: find them, parse and check each (in parallel when there are many), build a Report.

Manifests (Compose, Kubernetes, GitHub Actions, GitLab CI: linter/manifests/) are found by
name and, for Kubernetes, by content (``.yml``/``.yaml`` files with ``apiVersion`` and
``kind``); their package, and ruamel.yaml, load only when one is linted.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .engine import Outcome, lint_dockerfile, parse_error_outcome
from .errors import InputError, ParseError
from .plugins import Registry

DOCKERFILE_PATTERNS = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile", "Containerfile.*")
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", ".tox"}
PARALLEL_THRESHOLD = 48  # below this, process start-up costs more than it saves


def is_dockerfile_name(name: str) -> bool:
    """True when a file name looks like a Dockerfile or Containerfile."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in DOCKERFILE_PATTERNS)


def is_yaml_name(name: str) -> bool:
    """True for a ``.yml``/``.yaml`` file: maybe a manifest (Compose, Kubernetes, CI)."""
    return name.lower().endswith((".yml", ".yaml"))


_MANIFEST_PEEK = 1 << 20  # a Kubernetes manifest is recognized in its first MiB


def _is_manifest_file(path: Path) -> bool:
    """True when a YAML file found in a directory walk is a manifest (by name, else by content)."""
    from .manifests.refs import detect_kind

    if detect_kind(path.as_posix()) is not None:
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(_MANIFEST_PEEK).decode("utf-8", errors="replace")
    except OSError:
        return False
    return detect_kind(path.as_posix(), head) is not None


def discover(paths: Sequence[str]) -> tuple[list[Path], list[str], list[str]]:
    """Expand directories into Dockerfiles; return (files, errors, skipped) keeping command-line order.

    A file named on the command line is taken as given, symlink or not (the user chose it;
    the reader still refuses anything but a regular file).  In a directory walk, a
    Dockerfile symlink that resolves outside the directory is not followed: it goes to
    ``skipped``, one line each, so a repository cannot make us print ``/etc/passwd``.
    """
    files: list[Path] = []
    errors: list[str] = []
    skipped: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            before = len(skipped)
            found = sorted(_walk(p, skipped))
            if not found and len(skipped) == before:
                errors.append(f"{raw}: no Dockerfiles found in this directory (nor Compose, Kubernetes or CI files)")
            files.extend(found)
        elif p.exists() or p.is_symlink():
            files.append(p)
        else:
            errors.append(f"{raw}: no such file or directory")
    return files, errors, skipped


def _walk(root: Path, skipped: list[str]) -> Iterator[Path]:
    """Dockerfiles and manifests under ``root`` (symlinked directories are not entered: os.walk's default)."""
    real_root = os.path.realpath(root)
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
        for name in names:
            if not is_dockerfile_name(name) and not (is_yaml_name(name) and not os.path.islink(os.path.join(folder, name))
                                                     and _is_manifest_file(Path(folder) / name)):
                continue
            path = Path(folder) / name
            target = os.path.realpath(path) if path.is_symlink() else None
            if target is not None and not _inside(target, real_root):
                skipped.append(f"{path}: symlink to {target}, outside {root}: not followed "
                               "(name it on the command line to lint it)")
                continue
            yield path


def _inside(path: str, root: str) -> bool:
    """True when the resolved ``path`` is ``root`` or below it."""
    return os.path.commonpath([path, root]) == root


@dataclass(slots=True)
class FileResult:
    """What linting one file produced: its text (for code frames), outcome or an input error."""

    path: Path
    display: str
    text: str | None = None
    outcome: Outcome = field(default_factory=Outcome)
    error: str | None = None
    fixed: bool = False  # --fix rewrote the file


def display_path(path: Path, root: Path) -> str:
    """The path as shown and fingerprinted: relative to ``root`` when inside it, POSIX style."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def lint_one(path: Path, root: Path, registry: Registry, config: Config, build_args: Mapping[str, str],
             text: str | None = None) -> FileResult:
    """Parse and lint one file; input errors become ``error``, parse errors a parse-error finding."""
    from .parse import parse_dockerfile

    display = display_path(path, root) if text is None else path.as_posix()
    result = FileResult(path, display)
    if is_yaml_name(path.name) or (text is not None and "apiVersion" in text and "kind" in text):
        from .manifests.lint import lint_manifest_file

        done = lint_manifest_file(result, text, registry, config)
        if done is not None:
            return done
    try:
        dockerfile = parse_dockerfile(path, text, build_args=build_args)
    except InputError as exc:
        result.error = exc.format()
        return result
    except ParseError as exc:
        result.text = text if text is not None else _read_quietly(path)
        result.outcome = parse_error_outcome(exc, path, display, registry, config)
        return result
    result.text = dockerfile.text
    if not dockerfile.stages and not dockerfile.global_args:
        # BuildKit refuses such a file ("file with no instructions"): report it like any parse error.
        empty = ParseError("file with no instructions (docker build rejects it)", path, 1)
        result.outcome = parse_error_outcome(empty, path, display, registry, config)
        return result
    result.outcome = lint_dockerfile(dockerfile, display, registry, config)
    return result


def _read_quietly(path: Path) -> str | None:
    """The text for the code frame of a parse error; None if the file changed into something unreadable."""
    from .parse.reader import read_dockerfile_text  # refuses a FIFO swapped in since the parse

    try:
        return read_dockerfile_text(path)
    except InputError:
        return None


# Each worker's state, set once by the pool initializer.  With the fork start method the
# initializer's arguments are inherited, not pickled, so rules need not be picklable.
_WORKER: tuple[Path, Registry, Config, Mapping[str, str]] | None = None


def _init_worker(state: tuple[Path, Registry, Config, Mapping[str, str]]) -> None:
    global _WORKER
    _WORKER = state


def _work(path: Path) -> FileResult:
    assert _WORKER is not None, "the pool initializer sets the worker state"
    root, registry, config, build_args = _WORKER
    return lint_one(path, root, registry, config, build_args)


def lint_many(files: Sequence[Path], root: Path, registry: Registry, config: Config,
              build_args: Mapping[str, str], jobs: int | None = None) -> list[FileResult]:
    """Lint files, forking worker processes when there are many and more than one CPU."""
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if jobs <= 1 or len(files) < PARALLEL_THRESHOLD or not hasattr(os, "fork"):
        return [lint_one(f, root, registry, config, build_args) for f in files]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                             initargs=((root, registry, config, build_args),)) as pool:
        chunk = max(1, len(files) // (jobs * 4))
        return list(pool.map(_work, files, chunksize=chunk))
