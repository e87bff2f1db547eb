"""Build the image, run it in the project's sandbox, and prove its ENTRYPOINT, EXPOSE and HEALTHCHECK claims.

PATH is a Dockerfile or a build context directory (default: the current directory).
With --image SOURCE (docker-daemon:NAME, registry:REF, a docker archive or an OCI layout;
--platform picks the image of a multi-platform one) nothing is built; a PATH or --file
given with it is still linted and used for finding locations.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from pylint_image.linter.config import Config, build_args_of
from pylint_image.linter.errors import ConfigError
from pylint_image.linter.plugins import Registry
from pylint_image.linter.report import Report

from .sandbox import Confinement, Limits
from .sandbox.spec import DEFAULT_CPUS, DEFAULT_MEMORY, DEFAULT_PIDS
from .source import add_platform_argument
from .spec import VerifySpec, dockerfiles_under, locate_dockerfile, parse_size

LOG = logging.getLogger(__name__)
# Notifications that make the exit code 3 (tool or infrastructure error, §4.5).
FATAL_NOTIFICATIONS = ("builder-unavailable", "engine-unavailable", "sandbox-required", "sandbox-error",
                       "verify-timeout")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``verify`` options (the common report options are added by the CLI)."""
    parser.add_argument("path", nargs="?", type=Path, metavar="PATH",
                        help="Dockerfile or build context directory (default: .)")
    parser.add_argument("--file", type=Path, help="Dockerfile path when PATH is the context")
    parser.add_argument("--target", help="build this stage")
    parser.add_argument("--builder", default="auto", choices=("auto", "docker", "podman", "buildah"))
    parser.add_argument("--image", metavar="SOURCE", help="verify an already built image instead of building")
    add_platform_argument(parser)
    parser.add_argument("--keep-image", action="store_true", help="keep the image this run built")
    parser.add_argument("--progress", default="auto", choices=("auto", "plain", "none"),
                        help="progress on stderr: a live display on a terminal (auto), one line per "
                             "phase (plain), or none; the report on stdout is the same either way")
    parser.add_argument("--start-window", type=float, default=None, metavar="SECONDS",
                        help="how long a live entrypoint may take to open its EXPOSEd ports (default: "
                             "the HEALTHCHECK's --start-period, else 30; 5 for an image without EXPOSE)")
    parser.add_argument("--grace", type=float, default=10.0, metavar="SECONDS",
                        help="stop-signal grace period, like docker stop -t (default 10)")
    parser.add_argument("--memory", default=str(DEFAULT_MEMORY), help="memory limit (default 512m)")
    parser.add_argument("--pids", type=int, default=DEFAULT_PIDS, help="pids limit (default 512)")
    parser.add_argument("--cpus", type=float, default=DEFAULT_CPUS, help="CPU limit in cores (default 1)")
    parser.add_argument("--cache-dir", type=Path, help="layer cache directory (default ~/.cache/pylint-image/layers)")
    parser.add_argument("--no-static", action="store_true", help="do not lint the Dockerfile first")
    parser.add_argument("--require-sandbox", action="store_true",
                        help="exit 3 when the sandbox is unavailable instead of skipping runtime probes")
    parser.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                        help="deadline for the whole run: build, start, probes and teardown (default 300)")
    parser.add_argument("--seccomp-profile", type=Path, metavar="PATH",
                        help="a Docker-format seccomp profile (default: Docker's own default.json)")
    parser.add_argument("--unconfined", action="store_true",
                        help="run without a seccomp filter (weaker than docker run's default)")
    parser.add_argument("--no-new-privileges", action="store_true",
                        help="set no_new_privs, like docker run --security-opt no-new-privileges")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="with a directory of several Dockerfiles: verify N images at a time (default 1)")
    from pylint_image.linter import baseline

    baseline.add_arguments(parser)  # applied by the CLI to the report (linter/baseline.py); --shard too


def spec_from_args(args: argparse.Namespace) -> VerifySpec:
    """Validate the options into a VerifySpec; usage errors raise ConfigError."""
    if (args.start_window is not None and args.start_window <= 0) or args.grace <= 0 or args.timeout <= 0:
        raise ConfigError("--start-window, --grace and --timeout must be positive")
    if args.unconfined and args.seccomp_profile is not None:
        raise ConfigError("--unconfined and --seccomp-profile exclude each other")
    if args.platform is not None and args.image is None:
        # A build makes the host's image; the sandbox runs nothing else (no emulation).
        raise ConfigError("--platform picks the image of a multi-platform --image SOURCE; "
                          "a build makes this host's platform")
    dockerfile = context = None
    if args.image is None or args.path is not None or args.file is not None:
        dockerfile, context = locate_dockerfile(args.path, args.file)
    limits = Limits(memory_bytes=parse_size(args.memory), pids=args.pids, cpus=args.cpus)
    return VerifySpec(dockerfile=dockerfile, context=context, target=args.target,
                      build_args=build_args_of(args.build_arg), builder=args.builder, image=args.image,
                      platform=args.platform,
                      start_window=args.start_window, grace=args.grace, limits=limits,
                      cache_dir=args.cache_dir, lint=not args.no_static,
                      require_sandbox=args.require_sandbox, keep_image=args.keep_image,
                      confinement=Confinement(args.seccomp_profile, args.unconfined, args.no_new_privileges),
                      timeout=args.timeout)


def specs_from_args(args: argparse.Namespace) -> list[VerifySpec]:
    """One VerifySpec per image to verify.

    A directory PATH (without ``--file`` or ``--image``) means every Dockerfile under it, as
    lint finds them, each built with its own directory as the context: a single Dockerfile at
    the top is exactly the one-image run it always was.
    """
    if args.jobs < 1:
        raise ConfigError("--jobs must be at least 1")
    base = args.path or Path(".")
    if args.image is not None or args.file is not None or not base.is_dir():
        return [spec_from_args(args)]
    return [spec_from_args(argparse.Namespace(**{**vars(args), "path": dockerfile}))
            for dockerfile in dockerfiles_under(base)]


def _shard_key(spec: VerifySpec) -> str:
    from pylint_image.linter import shard as sh

    return sh.key_of_path(spec.dockerfile) if spec.dockerfile is not None else sh.key_of_image(spec.image or "")


class _Terminated(SystemExit):
    """Raised from the SIGTERM handler so that every ``with`` block unwinds (temp dirs, images)."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated(128 + signum)


def run(args: argparse.Namespace, registry: Registry, config: Config) -> Report:
    """Run ``verify`` and return the report (the CLI renders it and sets the exit code)."""
    from pylint_image.linter import shard as sh

    from .pipeline import verify

    # --shard: this shard's Dockerfiles (by path from the repository root) or image, as lint splits them.
    specs = sh.select(specs_from_args(args), sh.from_args(args), _shard_key)
    if not specs:
        from pylint_image.linter.report import tool_version

        print(f"pylint-image: nothing to verify in shard {args.shard}", file=sys.stderr)
        return Report(findings=(), notifications=(), rules=registry.rules, targets=(), tool_version=tool_version())
    # Installed before any sandbox registers its own handler, which then chains to this one:
    # sandboxes are closed first, then the exception unwinds the rest of the pipeline.
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        if len(specs) > 1:
            from .many import verify_many

            # Several images: one line per image (parallel jobs share no live display).
            return verify_many(specs, registry, args.jobs, lambda one: verify(one, registry, config),
                               None if args.progress == "none" else sys.stderr)
        from .progress import shown

        with shown(args.progress) as progress:
            return verify(specs[0], registry, config, progress=progress)
    finally:
        signal.signal(signal.SIGTERM, previous)
