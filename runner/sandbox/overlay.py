"""Mount the overlay of cached layers as a bundle's rootfs, and take it down again.

overlayfs takes its lower directories in one mount option, and the kernel caps mount options
at one page (4096 bytes): with cache paths of ~100 bytes, 40 layers would be the limit. As
Docker's overlay2 does with its ``l/`` directory, each layer gets a short symlink in the
bundle (``l/0``, ``l/1``...) and the mount runs with the bundle as its working directory, so
every layer costs a few bytes and Docker's own limit of 127 layers fits with room to spare.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from pylint_image.linter.errors import SandboxError

MAX_LAYERS = 500          # overlayfs's own limit on lower directories
_MOUNT_TIMEOUT = 30.0


def mount_overlay(bundle: Path, lower: Sequence[Path]) -> Path:
    """Mount ``lower`` (topmost first) with a fresh upper dir at ``bundle/rootfs``; return it."""
    if not lower:
        raise SandboxError("an overlay rootfs needs at least one layer")
    # An image may list one layer twice (Docker's legacy builder commits a re-created WORKDIR
    # as a copy of an earlier layer); overlayfs refuses a directory twice (ELOOP). Only the
    # topmost copy matters: everything the lower one holds, the upper one holds on top.
    lower = list(dict.fromkeys(lower))
    if len(lower) > MAX_LAYERS:
        raise SandboxError(f"{len(lower)} layers: overlayfs takes at most {MAX_LAYERS}")
    links = bundle / "l"
    links.mkdir()
    for index, layer in enumerate(lower):
        (links / str(index)).symlink_to(layer)
    for name in ("upper", "work", "rootfs"):
        (bundle / name).mkdir()
    lowerdir = ":".join(f"l/{i}" for i in range(len(lower)))
    options = f"lowerdir={lowerdir},upperdir=upper,workdir=work"
    # Relative paths resolve against the mount process's cwd, which is why this is a child
    # process (changing our own cwd would race the tool's other threads).
    _run(["mount", "-t", "overlay", "overlay", "-o", options, "rootfs"], bundle, "mount the overlay rootfs")
    return bundle / "rootfs"


def unmount(target: Path) -> list[str]:
    """Detach the overlay at ``target``; the problems met, as lines (never raises)."""
    try:
        _run(["umount", "--lazy", str(target)], target.parent, f"unmount {target}")
    except SandboxError as error:
        return [str(error)]
    return []


def _run(argv: list[str], cwd: Path, what: str) -> None:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=_MOUNT_TIMEOUT,
                              check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxError(f"cannot {what}: {exc}") from exc
    if done.returncode != 0:
        raise SandboxError(f"cannot {what}: {done.stderr.strip() or f'exit status {done.returncode}'}")
