"""Analyse a built image layer by layer, each finding mapped to the Dockerfile line that made its layer.

SOURCE is an OCI layout directory, a ``docker save`` archive (classic or OCI-in-tar),
``docker-daemon:NAME`` (streamed from ``docker save``, never written to disk), or
``registry:HOST/NAME:TAG`` (pulled with the built-in registry client).  The image is got
exactly as ``verify --image SOURCE`` gets it (``source.acquire``), with the same
``--platform`` choice from a multi-platform index.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pylint_image.linter.engine import Outcome, enabled_rules, run_rules
from pylint_image.linter.dive_ci import FILE_NAME
from pylint_image.linter.errors import ConfigError, EngineUnavailable, InputError, ParseError, SourceError
from pylint_image.linter.findings import Notification, SourceLocation
from pylint_image.linter.report import Report, Table, tool_version
from pylint_image.linter.ruleapi import Target
from pylint_image.linter.units import docker_size  # the image-size rules' messages use it too

from .progress import SILENT_BYTES, choose_bytes
from .source import acquire, add_platform_argument

if TYPE_CHECKING:
    from pylint_image.linter.config import Config
    from pylint_image.linter.model.dockerfile import Dockerfile
    from pylint_image.linter.model.image import Image, Layer
    from pylint_image.linter.plugins import Registry
    from pylint_image.linter.provenance import Provenance

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
    p.add_argument("--dive-ci", type=Path, metavar="FILE",
                   help="dive's CI rules (lowestEfficiency, highestWastedBytes, highestUserWastedPercent) as "
                        "wasted-space's thresholds, with dive's meaning and verdict (default: a .dive-ci next to "
                        "--dockerfile, else in the current directory, as dive finds it)")
    p.add_argument("--progress", default="auto", choices=("auto", "plain", "none"),
                   help="bytes read per layer (of the docker save stream; downloaded per layer from a "
                        "registry) on stderr: a live bar on a "
                        "terminal (auto), one line per layer (plain), or nothing (none; auto off a terminal)")


def run(args: argparse.Namespace, registry: Registry, config: Config) -> Report:
    """Load the image, run IMAGE rules, and build the report with a layer table."""
    with _no_cyclic_gc():
        return _run(args, registry, config)


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """No cyclic garbage collection while an image is read and judged; the previous state after.

    Reading an image makes ~2 objects per file, all kept until the report is written, so
    the collector's passes find nothing to free: on a 440 MB / 42k-file image they cost
    0.15 s, on a 1.1 GB / 100k-file one 0.4 s (10-13% of the run).  Reference counting
    still frees everything as usual; only reference cycles wait, and the analysis makes
    a fixed few hundred of them whatever the image's size (tests/runner/test_image_cli_costs.py).
    """
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run(args: argparse.Namespace, registry: Registry, config: Config) -> Report:
    started = time.perf_counter()
    notes: list[Notification] = list(registry.warnings)
    dockerfile, display = _dockerfile(args, notes)
    config = _with_dive_ci(config, registry, args, notes)   # a bad .dive-ci stops here (exit 2)
    needs = [r.meta.needs for r in enabled_rules(registry, config, Target.IMAGE)]
    progress = choose_bytes(args.progress)   # a bar on a terminal only: nothing changes in a pipe or a log
    try:
        with acquire(args.source, platform=args.platform,
                     progress=None if progress is SILENT_BYTES else progress) as acquired:
            image = acquired.model(needs)
    except EngineUnavailable as exc:
        notes.append(Notification("engine-unavailable", "error", exc.format()))
        return _report([], notes, registry, args, dockerfile, display, started)
    except SourceError as exc:
        notes.append(Notification("source-error", "error", exc.format() + suggestion(args.source)))
        return _report([], notes, registry, args, dockerfile, display, started)
    finally:
        progress.done()   # the live display is gone before anything else is written
    config = _with_baseline(config, args.baseline, notes, args.source)
    origins, provenance, origin_lines = _provenance(image, dockerfile)
    outcome: Outcome = run_rules(image, Target.IMAGE, registry, config, display=args.source,
                                 dockerfile=dockerfile, image_name=args.source, provenance=provenance,
                                 origins=origins)
    notes.extend(outcome.notifications)
    sizes = [layer.content_size for layer in image.layers]   # Docker's, each computed once (a pass over its files)
    args.baseline_images = {args.source: sum(sizes)}  # --write-baseline records Docker's size (image.content_size)
    report = _report(outcome.findings, notes, registry, args, dockerfile, display, started)
    return replace(report, tables=(_layer_table(image, origin_lines, sizes), _waste_table(image, registry, config)))


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
        recorded = load(baseline)
        size = recorded.image_size(source)
    except UsageError as exc:
        notes.append(Notification("input-error", "error", str(exc)))
        return config
    if size is None:
        notes.append(Notification("baseline", "note", f"{baseline}: records no size of {source}: "
                                  "image-size-regression not checked"))
        return config
    options = {k: dict(v) for k, v in config.rule_options.items()}
    # Into every table naming the rule (the config's [rules.IM3002] too): the one the rule
    # reads must not lose the user's max-growth-percent, nor the size.
    keys = [k for k in options if k.strip() == "image-size-regression" or k.strip().upper() == "IM3002"]
    for key in keys or ["image-size-regression"]:
        entry = options.setdefault(key, {})
        entry["baseline-bytes"] = size
        if recorded.tar_sizes:  # an old file's tar bytes: compared with this image's tar bytes
            entry["baseline-tar-bytes"] = True
    if recorded.tar_sizes:
        notes.append(recorded.tar_sizes_note())
    return dataclasses.replace(config, rule_options=options)


def _provenance(image: Image, dockerfile: Dockerfile | None
                ) -> tuple[Provenance | None, dict[str, SourceLocation] | None, dict[int, str]]:
    """Map the image's history to Dockerfile lines, once: the origins (for the rules), each
    layer diff id's span (for the findings) and each layer's origin text (for the table)."""
    if dockerfile is None:
        return None, None, {}
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
    return prov, spans, lines


def _layer_table(image: Image, origin_lines: dict[int, str], sizes: list[int]) -> Table:
    """One row per layer: Docker's size (``sizes``, as ``docker history``), the stored blob's when compressed."""
    biggest = max(sizes, default=0) or 1
    rows, bars = [], []
    for layer, size in zip(image.layers, sizes):
        created = " ".join((layer.created_by or "").split())
        created = created if len(created) <= 60 else created[:57] + "..."
        rows.append((str(layer.index), docker_size(size), _compressed(layer), origin_lines.get(layer.index, "-"),
                     created))
        bars.append(size / biggest)
    compressed = [layer for layer in image.layers if layer.digest != layer.diff_id]
    stored = f" ({docker_size(sum(layer.size for layer in compressed))} compressed)" if compressed else ""
    title = f"Layers of {image.ref or 'image'}: {docker_size(sum(sizes))}{stored}, {len(image.layers)} layers"
    return Table(title, ("#", "size", "compressed", "Dockerfile", "created by"), tuple(rows), tuple(bars))


def _compressed(layer: Layer) -> str:
    """The stored blob's size when it is compressed (a registry pull, a gzip layout), else ``-``."""
    return docker_size(layer.size) if layer.digest != layer.diff_id else "-"


def _waste_table(image: Image, registry: Registry, config: Config, top: int = 10) -> Table:
    """dive's view, as wasted-space judges it: paths that several layers hold or delete, largest first."""
    from pylint_image.linter.dive_ci import dive_analysis

    rule = next((r for r in registry.rules if r.meta.code == "IM2006"), None)
    options = config.options_for(rule) if rule is not None else None
    directories = bool(getattr(options, "count_deleted_directories", True))
    dive = dive_analysis(image, directories)
    rows = tuple((item.path, docker_size(item.size), "deleted" if item.deleted else "overwritten",
                  " -> ".join(map(str, item.layers))) for item in dive.inefficiencies[:top])
    user = "n/a" if math.isnan(dive.wasted_user_percent) else f"{dive.wasted_user_percent:.2%}"
    title = (f"Wasted space: {docker_size(dive.wasted_bytes)}, efficiency {dive.efficiency:.2%}, "
             f"user wasted {user}" + ("" if directories else " (as dive counts)")
             + (f" (top {top} of {len(dive.inefficiencies)} paths)" if len(dive.inefficiencies) > top else ""))
    return Table(title, ("path", "size", "by", "layers"), rows)


def _dive_ci_file(args: argparse.Namespace) -> Path | None:
    """``--dive-ci FILE``, else ``.dive-ci`` next to ``--dockerfile``, else in the current directory (dive's place)."""
    if args.dive_ci is not None:
        return args.dive_ci
    places = ([args.dockerfile.parent / FILE_NAME] if args.dockerfile is not None else []) + [Path(FILE_NAME)]
    return next((p for p in places if p.is_file()), None)


def _with_dive_ci(config: Config, registry: Registry, args: argparse.Namespace,
                  notes: list[Notification]) -> Config:
    """Put a .dive-ci's thresholds into wasted-space's options, counting as dive counts.

    Every threshold is set (dive's default for a key the file leaves out), over the config's
    own wasted-space options: the verdict is dive's on the same image.
    """
    import dataclasses

    from pylint_image.linter.dive_ci import read_dive_ci
    from pylint_image.linter.selection import EXACT, match_strength

    path = _dive_ci_file(args)
    if path is None:
        return config
    if not path.is_file():
        raise ConfigError("no such dive CI file", path)
    dive = read_dive_ci(path)
    values = {**dive.as_options(), "count-deleted-directories": False}
    rule = next((r for r in registry.rules if r.meta.code == "IM2006"), None)
    options = {k: dict(v) for k, v in config.rule_options.items()}
    tokens = [t for t in options if rule is not None and match_strength(t, rule) >= EXACT] or ["wasted-space"]
    for token in tokens:
        options.setdefault(token, {}).update(values)
    notes.append(Notification("dive-ci", "note", f"wasted-space judges with dive's CI rules from {path}"))
    return dataclasses.replace(config, rule_options=options)


def _report(findings, notes, registry, args, dockerfile, display, started) -> Report:
    sources = {display: dockerfile.text} if dockerfile is not None else {}
    targets = (display,) if dockerfile is not None else (args.source,)
    return Report(findings=tuple(sorted(findings, key=lambda f: f.sort_key())), notifications=tuple(notes),
                  rules=registry.rules, targets=targets, tool_version=tool_version(), root=Path.cwd(),
                  timings={"total_s": time.perf_counter() - started}, sources=sources)
