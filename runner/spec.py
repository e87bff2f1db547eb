"""What one ``verify`` run is asked to do: the pure, validated settings the pipeline starts from.

The CLI (and, later, a versioned YAML verification spec) fill a :class:`VerifySpec`;
nothing here touches the system.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path

from pylint_image.linter.errors import ConfigError
from pylint_image.linter.oci.multiarch import Platform

from .sandbox import Confinement, Limits
from pylint_image.linter.model.frozen import frozen

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


@frozen
class VerifySpec:
    """Inputs of one verification: what to build or load, and how long to watch it."""

    dockerfile: Path | None = None        # linted, built, and used for finding locations
    context: Path | None = None
    target: str | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    builder: str = "auto"
    image: str | None = None               # --image SOURCE: skip the build
    platform: Platform | None = None       # --platform: which image of a multi-platform SOURCE
    start_window: float | None = None      # --start-window; None: the start period, else 30 s
    grace: float = 10.0
    limits: Limits = field(default_factory=Limits)
    cache_dir: Path | None = None
    lint: bool = True                      # lint the Dockerfile first (static findings)
    require_sandbox: bool = False
    keep_image: bool = False               # keep the image this run built
    confinement: Confinement = field(default_factory=Confinement)   # seccomp, no-new-privileges
    timeout: float = 300.0                 # the whole run's deadline (seconds)


def parse_size(text: str) -> int:
    """``512m``, ``1G``, ``64MiB``, ``1048576`` -> bytes (Docker's --memory units, binary)."""
    match = _SIZE.match(text)
    if not match:
        raise ConfigError(f"invalid size {text!r} (try 512m or 1g)")
    number, unit, _ = match.groups()
    return int(float(number) * _UNITS[unit.lower()])


def dockerfiles_under(directory: Path) -> list[Path]:
    """Every Dockerfile under ``directory``, found as lint finds them (symlinks out of it skipped)."""
    from pylint_image.linter.lint import discover

    files, errors, _skipped = discover([str(directory)])
    if errors:
        raise ConfigError(errors[0])
    return files


def locate_dockerfile(path: Path | None, file: Path | None) -> tuple[Path, Path]:
    """(Dockerfile, build context) from ``[PATH]`` and ``--file``, as ``docker build`` reads them."""
    base = path or Path(".")
    if file is not None:
        return file, base if base.is_dir() else base.parent
    if base.is_dir():
        for name in ("Dockerfile", "Containerfile"):
            if (base / name).is_file():
                return base / name, base
        raise ConfigError(f"{base}: no Dockerfile or Containerfile in this directory")
    if not base.is_file():
        raise ConfigError(f"{base}: no such file or directory")
    return base, base.parent
