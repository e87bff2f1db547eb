"""The container's network namespace: ``lo`` plus an address of its own, and no way out.

Docker gives a container ``eth0`` with an address on its bridge, and servers bind to it
(``$(hostname -i)``). verify gives the namespace the same shape without a bridge: a veth
pair whose two ends both live inside the namespace, ``eth0`` holding Docker's first bridge
address. Traffic to it stays in the namespace, as loopback traffic does; nothing can reach
the host or the network. (A dummy interface would do, but this kernel has no dummy module.)

Creating it needs root: rootless runs keep the runtime's own namespace with only ``lo``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pylint_image.linter.errors import SandboxError

ADDRESS = "172.17.0.2"       # Docker's first address on its default bridge
PREFIX = 16
NETNS_DIR = Path("/run/netns")
_TIMEOUT = 10.0


def _ip(*args: str, stdin: str | None = None) -> None:
    try:
        done = subprocess.run(["ip", *args], input=stdin, capture_output=True, text=True,
                              timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxError(f"cannot set up the container's network: ip {args[0]}: {exc}") from exc
    if done.returncode != 0:
        raise SandboxError(f"cannot set up the container's network: ip {' '.join(args[:3])}: "
                           f"{done.stderr.strip()}")


def create(name: str) -> Path:
    """Create the named namespace with ``lo`` and ``eth0`` (ADDRESS) up; return its path."""
    _ip("netns", "add", name)
    try:
        # One ``ip`` for every step inside it: each is a few milliseconds of process start.
        _ip("-n", name, "-batch", "-", stdin="\n".join((
            "link set lo up",
            "link add eth0 type veth peer name eth0-peer",
            f"addr add {ADDRESS}/{PREFIX} dev eth0",
            "link set eth0-peer up",
            "link set eth0 up",
        )) + "\n")
    except SandboxError:
        delete(name)
        raise
    return NETNS_DIR / name


def delete(name: str) -> list[str]:
    """Remove the namespace (its interfaces go with it); the problems met, as lines."""
    try:
        _ip("netns", "delete", name)
    except SandboxError as error:
        return [str(error)]
    return []
