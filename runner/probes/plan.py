"""Plan the container run from the image config: the SandboxSpec and the claims to probe.

Pure: turns ``ImageConfig`` (plus the replayed Dockerfile commands, when linked) into data,
the way ``docker run`` would configure the container.
"""

from __future__ import annotations

from pathlib import Path

from pylint_image.linter.model.image import ImageConfig

from ..argv import DEFAULT_SHELL, CommandConfig, container_argv
from ..sandbox import Confinement, Limits, Network, OverlayRoot, SandboxSpec, resolve_user
from .health import plan_health
from .lifecycle import Claims, parse_signal
from .ports import parse_exposed

_SHELLS = frozenset({"/bin/sh", "sh", "/bin/bash", "bash", "/bin/ash", "/bin/dash"})


def looks_shell_form(argv: tuple[str, ...]) -> bool:
    """True for ``sh -c TEXT``-style argv: what a shell-form CMD or ENTRYPOINT becomes."""
    return len(argv) >= 3 and argv[0] in _SHELLS and argv[1] == "-c"


def claims_of(config: ImageConfig, commands: CommandConfig) -> Claims:
    """What the image claims: ports, healthcheck, stop signal, and whether PID 1 is a shell."""
    argv = container_argv(config.entrypoint, config.cmd)
    shell_form = commands.shell_form if commands.argv == argv and argv else looks_shell_form(argv)
    health = plan_health(config.healthcheck, config.shell or DEFAULT_SHELL)
    # The start limit uses the image's own --start-period, not the health probe's capped copy.
    start_period = 0.0
    if health is not None and config.healthcheck is not None:
        start_period = max(config.healthcheck.start_period / 1e9, 0.0)
    return Claims(parse_exposed(config.exposed_ports), health, parse_signal(config.stop_signal),
                  shell_form, start_period)


def sandbox_spec(root: Path | OverlayRoot, config: ImageConfig, limits: Limits,
                 confinement: Confinement | None = None) -> SandboxSpec:
    """The container as ``docker run IMAGE`` would start it: argv, env, user, workdir, limits."""
    user = resolve_user(root, config.user)
    env = config.env_dict()
    env.setdefault("HOME", user.home)   # Docker sets HOME from the user's passwd entry
    return SandboxSpec(rootfs=root, argv=container_argv(config.entrypoint, config.cmd),
                       env=tuple(env.items()), cwd=config.workdir or "/", uid=user.uid, gid=user.gid,
                       groups=user.groups, limits=limits, network=Network.LOOPBACK, timeout=None,
                       confinement=confinement or Confinement())
