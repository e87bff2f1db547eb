"""``--shard K/N``: one of N deterministic shares of the work, by path or image reference.

Every item (a Dockerfile, an image) goes to the shard its key hashes to: the key is the
file's path relative to the repository root (POSIX, normalised), or the image reference
without tag or digest (``baseline.image_subject``), so every shard of a CI matrix or a
Kubernetes Indexed Job decides alike, from any directory, without talking to the others.
The hash is SHA-256 (Python's ``hash()`` is salted per process).  K counts from 1;
``--shard auto`` reads Kubernetes' ``JOB_COMPLETION_INDEX`` (from 0) and
``JOB_COMPLETION_COUNT`` (which the Job's manifest sets: Kubernetes does not).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, TypeVar

from .errors import UsageError
from .model.frozen import frozen

if TYPE_CHECKING:
    import argparse

T = TypeVar("T")
INDEX_VAR = "JOB_COMPLETION_INDEX"
COUNT_VAR = "JOB_COMPLETION_COUNT"
HELP = ("do only shard K of N (K from 1), split by path or image reference; 'auto': "
        f"K = ${INDEX_VAR} + 1 and N = ${COUNT_VAR} (a Kubernetes Indexed Job)")


@frozen
class Shard:
    """Shard ``index`` (from 1) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, key: str) -> bool:
        """True when ``key`` falls in this shard."""
        return shard_of(key, self.count) == self.index


def shard_of(key: str, count: int) -> int:
    """The shard (from 1) of ``key`` among ``count``: a stable hash, the same on every machine."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def parse(value: str, environ: Mapping[str, str] | None = None) -> Shard:
    """``K/N`` or ``auto``; anything else is a usage error (exit 2)."""
    if value.strip() == "auto":
        env = os.environ if environ is None else environ
        missing = [v for v in (INDEX_VAR, COUNT_VAR) if not env.get(v, "").strip()]
        if missing:
            raise UsageError(f"--shard auto needs {' and '.join(missing)} in the environment "
                             f"(a Kubernetes Indexed Job sets {INDEX_VAR}; set {COUNT_VAR} to its completions)")
        index, count = _integer(env[INDEX_VAR], INDEX_VAR), _integer(env[COUNT_VAR], COUNT_VAR)
        if count < 1 or not 0 <= index < count:
            raise UsageError(f"--shard auto: {INDEX_VAR}={index} is not in 0..{COUNT_VAR}-1 ({COUNT_VAR}={count})")
        return Shard(index + 1, count)
    k, sep, n = value.partition("/")
    if not sep:
        raise UsageError(f"--shard takes K/N (such as 2/4) or auto, not {value!r}")
    index, count = _integer(k, "--shard K"), _integer(n, "--shard N")
    if count < 1 or not 1 <= index <= count:
        raise UsageError(f"--shard {value}: K must be 1 to N, N at least 1")
    return Shard(index, count)


def _integer(text: str, what: str) -> int:
    try:
        return int(text.strip(), 10)
    except ValueError:
        raise UsageError(f"{what} is not an integer: {text!r}") from None


def key_of_path(path: PurePath | str, root: Path | None = None) -> str:
    """A file's shard key: its path relative to the repository root (the fingerprints' subject)."""
    from .baseline import path_subject

    return path_subject(path, root)


def key_of_image(image: str, root: Path | None = None) -> str:
    """An image's shard key: its reference without tag or digest, or its path (a layout, an archive)."""
    from .baseline import image_subject

    return image_subject(image, root)


def select(items: Sequence[T], shard: Shard | None, key: Callable[[T], str]) -> list[T]:
    """The items of ``shard`` (all of them without one), in their order."""
    if shard is None:
        return list(items)
    return [item for item in items if shard.owns(key(item))]


def add_argument(p: argparse.ArgumentParser) -> None:
    """``--shard K/N|auto`` (validated when the command runs: ``from_args``)."""
    p.add_argument("--shard", metavar="K/N", help=HELP)


def from_args(args: argparse.Namespace) -> Shard | None:
    """The shard the command line asks for, or None."""
    value = getattr(args, "shard", None)
    return None if value is None else parse(value)
