"""Analyse a built image layer by layer, each finding mapped to the Dockerfile line that made its layer.

SOURCE is an OCI layout directory, a ``docker save`` archive (classic or OCI-in-tar),
``docker-daemon:NAME`` (streamed from ``docker save``, never written to disk), or
``registry:HOST/NAME:TAG`` (pulled with the built-in registry client).  The image is got
exactly as ``verify --image SOURCE`` gets it (``source.acquire``), with the same
``--platform`` choice from a multi-platform index.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pylint_image.linter.engine import Outcome, enabled_rules, run_rules
from pylint_image.linter.errors import EngineUnavailable, InputError, ParseError, SourceError
from pylint_image.linter.findings import Notification, SourceLocation
from pylint_image.linter.report import Report, Table, tool_version
from pylint_image.linter.ruleapi import Target

from .source import acquire, add_platform_argument

if TYPE_CHECKING:
    from pylint_image.linter.config import Config
    from pylint_image.linter.model.dockerfile import Dockerfile
    from pylint_image.linter.model.image import Image
    from pylint_image.linter.plugins import Registry

# No engine to read a docker-daemon: image from is the host's problem: exit code 3 (as for verify).
FATAL_NOTIFICATIONS: tuple[str, ...] = ("engine-unavailable",)
# What ``image --help`` says (the module docstring is for developers).
DESCRIPTION = ("Analyse a built image layer by layer, each finding mapped to the Dockerfile line that made "
               "its layer. SOURCE is an OCI layout directory, a 'docker save' archive (classic or "
               "OCI-in-tar), docker-daemon:NAME (a local engine's image, streamed from docker save) or "
               "registry:HOST/NAME:TAG (pulled from the registry). --platform picks one image of a "
               "multi-platform source, as verify --image does.")
_ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.zst", ".oci")
_HINT_TIMEOUT = 0.5   # seconds the local engine may take to say whether it has the image


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of the ``image`` command (the common report options are added by the CLI)."""
    p.add_argument("source", metavar="SOURCE",
                   help="OCI layout dir, docker-save archive, docker-daemon:NAME or registry:HOST/NAME:TAG")
    p.add_argument("--dockerfile", type=Path, help="the Dockerfile that built the image (maps layers to lines)")
    from pylint_image.linter import baseline

    # The findings baseline, which also records the image's size (image-size-regression reads
    # it); the CLI writes it and applies it to the findings (linter/baseline.py).
    baseline.add_arguments(p, image=True)
    add_platform_argument(p)


def run(args: argparse.Namespace, registry: Registry, config: Config) -> Report:
    """Load the image, run IMAGE rules, and build the report with a layer table."""
    started = time.perf_counter()
    notes: list[Notification] = list(registry.warnings)
    dockerfile, display = _dockerfile(args, notes)
    needs = [r.meta.needs for r in enabled_rules(registry, config, Target.IMAGE)]
    try:
        with acquire(args.source, platform=args.platform) as acquired:
            image = acquired.model(needs)
    except EngineUnavailable as exc:
        notes.append(Notification("engine-unavailable", "error", exc.format()))
        return _report([], notes, registry, args, dockerfile, display, started)
    except SourceError as exc:
        notes.append(Notification("source-error", "error", exc.format() + suggestion(args.source)))
        return _report([], notes, registry, args, dockerfile, display, started)
    config = _with_baseline(config, args.baseline, notes, args.source)
    provenance, origin_lines = _provenance(image, dockerfile)
    outcome: Outcome = run_rules(image, Target.IMAGE, registry, config, display=args.source,
                                 dockerfile=dockerfile, image_name=args.source, provenance=provenance)
    notes.extend(outcome.notifications)
    args.baseline_images = {args.source: image.size}  # what --write-baseline records besides the findings
    report = _report(outcome.findings, notes, registry, args, dockerfile, display, started)
    return replace(report, tables=(_layer_table(image, origin_lines), _waste_table(image)))


def suggestion(source: str) -> str:
    """For a SOURCE that is no file: ``; did you mean docker-daemon:NAME?`` or ``registry:NAME``, else ''.

    ``docker-daemon:`` when the local engine has that image (one inspect on its socket, with
    a short deadline), else ``registry:`` when SOURCE parses as an image reference.
    """
    from pylint_image.linter.reference import InvalidReference, Reference

    from .source import REGISTRY_PREFIXES

    if (source.startswith((*REGISTRY_PREFIXES, "docker-daemon:")) or os.path.lexists(source)
            or source.endswith(_ARCHIVE_SUFFIXES)):
        return ""
    try:
        Reference.parse(source)
    except InvalidReference:
        return ""
    from .docker_socket import inspect_image

    if inspect_image(source, timeout=_HINT_TIMEOUT) is not None:
        return f"; did you mean docker-daemon:{source}?"
    return f"; did you mean registry:{source}?"


def _dockerfile(args: argparse.Namespace, notes: list[Notification]) -> tuple[Dockerfile | None, str]:
    from pylint_image.linter.lint import display_path
    from pylint_image.linter.parse import parse_dockerfile

    if args.dockerfile is None:
        return None, ""
    display = display_path(args.dockerfile, Path.cwd())
    try:
        return parse_dockerfile(args.dockerfile), display
    except (InputError, ParseError) as exc:
        notes.append(Notification("input-error", "error", exc.format()))
        return None, display


def _with_baseline(config: Config, baseline: Path | None, notes: list[Notification], source: str = "") -> Config:
    """Put the baseline's size of this image (a findings baseline, or the old size-only file) into image-size-regression's options."""
    import dataclasses

    from pylint_image.linter.baseline import load
    from pylint_image.linter.errors import UsageError

    if baseline is None:
        return config
    try:
        size = load(baseline).image_size(source)
    except UsageError as exc:
        notes.append(Notification("input-error", "error", str(exc)))
        return config
    if size is None:
        notes.append(Notification("baseline", "note", f"{baseline}: records no size of {source}: "
                                  "image-size-regression not checked"))
        return config
    options = {k: dict(v) for k, v in config.rule_options.items()}
    options.setdefault("image-size-regression", {})["baseline-bytes"] = size
    return dataclasses.replace(config, rule_options=options)


def _provenance(image: Image, dockerfile: Dockerfile | None):
    """Map layer diff ids to Dockerfile spans; also return each layer's origin text for the table."""
    if dockerfile is None:
        return None, {}
    from pylint_image.linter.provenance import map_provenance

    prov = map_provenance(image, dockerfile)
    spans: dict[str, SourceLocation] = {}
    lines: dict[int, str] = {}
    for o in prov.origins:
        if o.diff_id is None:
            continue
        spans[o.diff_id] = SourceLocation(dockerfile.path, o.instruction.span)
        if o.layer_index is not None:
            lines[o.layer_index] = f"line {o.line}" + (" (base)" if o.how == "base" else "")
    return spans, lines


def _layer_table(image: Image, origin_lines: dict[int, str]) -> Table:
    biggest = max((layer.uncompressed_size for layer in image.layers), default=0) or 1
    rows, bars = [], []
    for layer in image.layers:
        created = " ".join((layer.created_by or "").split())
        created = created if len(created) <= 60 else created[:57] + "..."
        rows.append((str(layer.index), _mib(layer.uncompressed_size), origin_lines.get(layer.index, "-"), created))
        bars.append(layer.uncompressed_size / biggest)
    title = f"Layers of {image.ref or 'image'}: {_mib(image.size)} uncompressed, {len(image.layers)} layers"
    return Table(title, ("#", "size", "Dockerfile", "created by"), tuple(rows), tuple(bars))


def _waste_table(image: Image, top: int = 10) -> Table:
    """dive's view: what later layers overwrite or delete, largest first, and the efficiency."""
    waste = image.waste()
    rows = tuple((s.entry.path, _mib(s.entry.size), "deleted" if s.deleted else "overwritten",
                  f"{s.entry.layer_index} -> {s.by_layer}") for s in waste.files[:top])
    title = (f"Wasted space: {_mib(waste.wasted_bytes)}, efficiency {waste.efficiency:.1%}"
             + (f" (top {top} of {len(waste.files)} files)" if len(waste.files) > top else ""))
    return Table(title, ("path", "size", "by", "layers"), rows)


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 1024:.1f} KiB"


def _report(findings, notes, registry, args, dockerfile, display, started) -> Report:
    sources = {display: dockerfile.text} if dockerfile is not None else {}
    targets = (display,) if dockerfile is not None else (args.source,)
    return Report(findings=tuple(sorted(findings, key=lambda f: f.sort_key())), notifications=tuple(notes),
                  rules=registry.rules, targets=targets, tool_version=tool_version(), root=Path.cwd(),
                  timings={"total_s": time.perf_counter() - started}, sources=sources)
