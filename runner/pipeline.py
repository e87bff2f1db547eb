"""The verification pipeline: lint, build or load, assemble the root, probe, judge, report.

:func:`verify` is the whole story as a sequence of named steps; each step below it does
one thing and turns its failures into notifications rather than tracebacks.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pylint_image.linter.config import Config
from pylint_image.linter.engine import Outcome, enabled_rules, run_rules
from pylint_image.linter.errors import (BuildError, EngineUnavailable, ParseError, PylintImageError, SandboxError,
                                        SandboxUnavailable)
from pylint_image.linter.findings import Finding, Notification
from pylint_image.linter.lint import FileResult, lint_one
from pylint_image.linter.related import merge_levels
from pylint_image.linter.model.dockerfile import Dockerfile
from pylint_image.linter.model.runtime import BuildFailure, RuntimeRun
from pylint_image.linter.oci import DAEMON_PREFIX
from pylint_image.linter.plugins import Registry
from pylint_image.linter.report import Report, tool_version
from pylint_image.linter.ruleapi import Rule, Target

from .argv import CommandConfig, container_argv
from .claims import claim_sources
from .deadline import Watchdog
from .image_level import image_outcome
from .probes.entrypoint import PROBE as ENTRYPOINT_PROBE
from .probes.entrypoint import probe_entrypoint
from .probes.lifecycle import RUNNING_PROBES, Lifecycle, Timing, run_lifecycle
from .probes.plan import claims_of, sandbox_spec
from .probes.table import probe_table
from .progress import SILENT, Progress, build_lines, counting_saver
from .rootfs import LayerCache, assembled_rootfs
from .sandbox import SandboxSupport, detect
from .source import AcquiredImage, acquire
from .spec import VerifySpec

LOG = logging.getLogger(__name__)
BUILD_PROBE = "build"


def verify(spec: VerifySpec, registry: Registry, config: Config,
           on_build_line: Callable[[str], None] | None = None, progress: Progress = SILENT) -> Report:
    """Verify one image end to end and return the report (Dockerfile, image and runtime findings).

    ``progress`` is told each phase as it begins (lint, build, unpack, start, the probes).
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    rules = enabled_rules(registry, config, Target.RUNTIME)
    wanted = probes_needed(rules)
    notes: list[Notification] = []
    static = lint_first(spec, registry, config, notes, progress)
    dockerfile = parse_linked(spec)
    sources, commands = claim_sources(dockerfile, spec.target) if dockerfile else ({}, CommandConfig())
    cache = LayerCache(spec.cache_dir)
    run: RuntimeRun | None = None
    lifecycle: Lifecycle | None = None
    image_level = Outcome()
    # Probes stop early enough to stop the container and report before the hard deadline.
    probes_deadline = time.monotonic() + spec.timeout * 0.9
    with Watchdog(spec.timeout) as watchdog, contextlib.ExitStack() as stack:
        image_or_failure = obtain_image(spec, cache, stack, notes, on_build_line or build_lines(progress),
                                        timings, progress)
        if isinstance(image_or_failure, BuildFailure):
            run = RuntimeRun(image=spec.image or str(spec.dockerfile), build=image_or_failure, sources=sources)
        elif image_or_failure is not None:
            # The image level: what ``pylint-image image`` finds, on the image just built or given.
            image_level = image_outcome(image_or_failure, registry, config, dockerfile, cache.root, notes)
            run, lifecycle = observe_image(image_or_failure, spec, commands, sources, wanted, cache,
                                           rules, notes, timings, probes_deadline, progress)
    if watchdog.expired:
        # What was observed after the deadline is an artefact of stopping it: judge nothing.
        notes.append(Notification("verify-timeout", "error",
                                  f"verify did not finish within --timeout {spec.timeout:g} s; "
                                  "everything it started was stopped"))
        run = lifecycle = None
        image_level = Outcome()
    outcome = judge(run, registry, config, dockerfile, static)
    outcome = Outcome([*image_level.findings, *outcome.findings],
                      [*image_level.notifications, *outcome.notifications])
    timings["total_s"] = time.perf_counter() - started
    return assemble_report(spec, registry, static, outcome, notes, run, lifecycle, timings)


def probes_needed(rules: Sequence[Rule]) -> frozenset[str]:
    """The probes the enabled RUNTIME rules declare in ``meta.needs.probes``."""
    return frozenset(p for r in rules for p in r.meta.needs.probes)


def lint_first(spec: VerifySpec, registry: Registry, config: Config,
               notes: list[Notification], progress: Progress = SILENT) -> FileResult | None:
    """Lint the Dockerfile (static findings) before spending time on a build."""
    if spec.dockerfile is None or not spec.lint:
        return None
    progress.phase("lint", str(spec.dockerfile))
    result = lint_one(spec.dockerfile, Path.cwd(), registry, config, spec.build_args)
    if result.error:
        notes.append(Notification("input-error", "error", result.error))
    return result


def parse_linked(spec: VerifySpec) -> Dockerfile | None:
    """The parsed Dockerfile, for finding locations; None when absent or unparsable."""
    if spec.dockerfile is None:
        return None
    from pylint_image.linter.parse import parse_dockerfile

    try:
        return parse_dockerfile(spec.dockerfile, build_args=spec.build_args)
    except (ParseError, PylintImageError):
        return None   # the lint step already reported why


def obtain_image(spec: VerifySpec, cache: LayerCache, stack: contextlib.ExitStack,
                 notes: list[Notification], on_line: Callable[[str], None] | None,
                 timings: dict[str, float], progress: Progress = SILENT) -> AcquiredImage | BuildFailure | None:
    """Build (or open ``--image``) and return the image, a build failure, or None (notified)."""
    began = time.perf_counter()
    try:
        if spec.image is not None:
            progress.phase("unpack", spec.image)
            image: AcquiredImage | BuildFailure | None = stack.enter_context(
                acquire(spec.image, cache, platform=spec.platform))
        else:
            image = build_image(spec, cache, stack, notes, on_line, progress)
    except EngineUnavailable as exc:   # no engine to ask: the host's problem, not the image's (exit 3)
        notes.append(Notification("engine-unavailable", "error", str(exc)))
        image = None
    except BuildError as exc:
        notes.append(Notification("build-error", "error", str(exc)))
        image = None
    except PylintImageError as exc:
        notes.append(Notification("source-error", "error", str(exc)))
        image = None
    timings["acquire_s"] = time.perf_counter() - began
    return image


def build_image(spec: VerifySpec, cache: LayerCache, stack: contextlib.ExitStack,
                notes: list[Notification], on_line: Callable[[str], None] | None,
                progress: Progress = SILENT) -> AcquiredImage | BuildFailure | None:
    """Build the Dockerfile with the chosen builder and open the result (removed at the end)."""
    assert spec.dockerfile is not None and spec.context is not None
    from .build import BuildFailed, select_builder   # here: ``--image`` runs never need the builders

    try:
        builder = select_builder(spec.builder)
    except BuildError as exc:
        notes.append(Notification("builder-unavailable", "error", str(exc)))
        return None
    progress.phase("build", f"{builder.name} build {spec.dockerfile}")
    try:
        built = builder.build(spec.context, spec.dockerfile, spec.target, spec.build_args, on_line=on_line)
    except BuildFailed as exc:
        return BuildFailure(exc.message, exc.line, exc.instruction, exc.log_tail)
    if not spec.keep_image:
        stack.callback(_remove_image, builder.name, built.image_ref)
    progress.phase("unpack", built.image_ref)
    return stack.enter_context(acquire(DAEMON_PREFIX + built.image_ref, cache,
                                       save=counting_saver(builder.save, progress),
                                       inspect=builder.name == "docker"))


def _remove_image(tool: str, ref: str) -> None:
    """Remove the image this run built: verification must leave no images behind."""
    subprocess.run([tool, "rmi", "-f", ref], capture_output=True, timeout=120, check=False)


def observe_image(image: AcquiredImage, spec: VerifySpec, commands: CommandConfig,
                  sources: dict, wanted: frozenset[str], cache: LayerCache, rules: Sequence[Rule],
                  notes: list[Notification], timings: dict[str, float],
                  probes_deadline: float, progress: Progress = SILENT) -> tuple[RuntimeRun, Lifecycle | None]:
    """Run the static entrypoint probe and, when the sandbox allows it, the running probes."""
    config = image.config
    argv = container_argv(config.entrypoint, config.cmd)
    support = sandbox_support(spec, wanted, rules, notes)
    began = time.perf_counter()
    lifecycle = problem = None
    with assembled_rootfs(image.layers, cache, overlay=bool(support and support.overlay)) as root:
        timings["rootfs_s"] = time.perf_counter() - began
        env = config.env_dict()
        if ENTRYPOINT_PROBE in wanted:
            problem = probe_entrypoint(root, argv, env, config.workdir or "/")
        claims = claims_of(config, commands)
        began = time.perf_counter()
        if support is not None and problem is None and argv and wanted & set(RUNNING_PROBES):
            lifecycle = start_and_watch(root, image, spec, claims, wanted, support, notes, probes_deadline,
                                        progress)
            # Weaker-than-Docker containment, and what teardown could not remove, are said out loud.
            notes.extend(Notification("sandbox-teardown" if text.startswith("teardown:") else "sandbox-limited",
                                      "warning", text) for text in (lifecycle.notes if lifecycle else ()))
        timings["probes_s"] = time.perf_counter() - began
    run = RuntimeRun(
        image=image.name, argv=argv, service=claims.service, start_window=spec.start_window,
        entrypoint=problem, start=lifecycle.start if lifecycle else None,
        ports=lifecycle.ports if lifecycle else None, stop=lifecycle.stop if lifecycle else None,
        health=lifecycle.health if lifecycle else None,
        resources=lifecycle.resources if lifecycle else None,
        uid_seen=lifecycle.uid_seen if lifecycle else None, user=config.user, sources=sources)
    return run, lifecycle


def sandbox_support(spec: VerifySpec, wanted: frozenset[str], rules: Sequence[Rule],
                    notes: list[Notification]) -> SandboxSupport | None:
    """This host's sandbox support, or None with ``sandbox-unavailable`` and skip notifications."""
    support = detect()
    if support.usable or not wanted & set(RUNNING_PROBES):
        return support if support.usable else None
    notes.append(Notification("sandbox-unavailable", "warning",
                              f"cannot start the image: {support.unusable_reason}; runtime probes were skipped"))
    if spec.require_sandbox:
        notes.append(Notification("sandbox-required", "error", "--require-sandbox: the sandbox is unavailable"))
    notes.extend(skipped(rules, "the sandbox is unavailable"))
    return None


def skipped(rules: Sequence[Rule], why: str) -> list[Notification]:
    """One ``skipped-not-applicable`` notification per rule that needs a running container."""
    return [Notification("skipped-not-applicable", "note", f"{r.meta.code} {r.meta.name} skipped: {why}",
                         rule=r.meta.code)
            for r in rules if set(r.meta.needs.probes) & set(RUNNING_PROBES)]


def start_and_watch(root, image: AcquiredImage, spec: VerifySpec, claims, wanted: frozenset[str],
                    support: SandboxSupport, notes: list[Notification],
                    probes_deadline: float, progress: Progress = SILENT) -> Lifecycle | None:
    """Run the running probes (the health probe ends by ``probes_deadline``); failures become notifications."""
    try:
        box_spec = sandbox_spec(root, image.config, spec.limits, spec.confinement)
        return run_lifecycle(box_spec, claims, Timing(spec.start_window, spec.grace, deadline=probes_deadline),
                             wanted, support, on_phase=progress.phase)
    except SandboxUnavailable as exc:
        notes.append(Notification("sandbox-unavailable", "warning", str(exc)))
        if spec.require_sandbox:
            notes.append(Notification("sandbox-required", "error", str(exc)))
    except SandboxError as exc:
        notes.append(Notification("sandbox-error", "error", f"{image.name}: {exc}"))
    return None


def judge(run: RuntimeRun | None, registry: Registry, config: Config, dockerfile: Dockerfile | None,
          static: FileResult | None) -> Outcome:
    """Run the RUNTIME rules on what was observed."""
    if run is None:
        return Outcome()
    display = static.display if static else run.image
    return run_rules(run, Target.RUNTIME, registry, config, display=display, dockerfile=dockerfile,
                     image_name=run.image)


def assemble_report(spec: VerifySpec, registry: Registry, static: FileResult | None, outcome: Outcome,
                    notes: list[Notification], run: RuntimeRun | None, lifecycle: Lifecycle | None,
                    timings: dict[str, float]) -> Report:
    """Static, image and runtime findings, every notification, the probe table and timings."""
    # One problem seen at several levels (Dockerfile, image, run time) is one finding with
    # related locations.
    findings = merge_levels([*(static.outcome.findings if static else ()), *outcome.findings])
    notifications = [*registry.warnings, *(static.outcome.notifications if static else ()), *notes,
                     *outcome.notifications]
    if lifecycle is not None and lifecycle.start_overhead is not None:
        timings["sandbox_start_s"] = lifecycle.start_overhead
    target = static.display if static else (spec.image or "")
    return Report(findings=tuple(sorted(findings, key=Finding.sort_key)), notifications=tuple(notifications),
                  rules=registry.rules, targets=(target,), tool_version=tool_version(),
                  root=Path.cwd(), timings=timings, tables=(probe_table(run),) if run else (),
                  sources={static.display: static.text} if static and static.text is not None else {})
