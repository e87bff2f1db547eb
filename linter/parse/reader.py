"""Reads a Dockerfile from disk into text, turning every unreadable input into one InputError."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError

# Far above any real Dockerfile (the corpus's largest is a few KiB) and above the 20 MB the
# linter is measured on; an input past it is refused before it is read into memory.
MAX_INPUT_BYTES = 64 * 1024 * 1024
_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket"}


def read_dockerfile_text(path: Path) -> str:
    """Return the file's text; raise InputError naming the file when it is not a text Dockerfile.

    Only regular files are read (symlinks are followed): a FIFO, device or socket is refused
    before it is read, so ``/dev/zero`` cannot fill memory and a FIFO nobody writes to
    cannot hang the run.
    """
    try:
        _refuse_special(os.stat(path).st_mode, path)
        data = _read_regular(path)
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except PermissionError:
        raise InputError("permission denied", path) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path) from None
    return decode_dockerfile_bytes(data, path)


def _refuse_special(mode: int, path: Path) -> None:
    """Raise InputError unless ``mode`` is a regular file's."""
    if stat.S_ISDIR(mode):
        raise InputError("is a directory, not a Dockerfile", path)
    if not stat.S_ISREG(mode):
        raise InputError(f"not a regular file ({_KINDS.get(stat.S_IFMT(mode), 'a special file')})", path)


def _read_regular(path: Path) -> bytes:
    """Read a file that was a regular file when stat'ed, refusing it if it was swapped since."""
    # O_NONBLOCK: should a FIFO take the file's place after the stat, opening it must not
    # wait for a writer; fstat on the open descriptor then settles what we really opened.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as stream:
        _refuse_special(os.fstat(stream.fileno()).st_mode, path)
        return read_capped(stream, path)


def read_capped(stream: BinaryIO, path: Path | str) -> bytes:
    """Read all of ``stream``, refusing (InputError) more than MAX_INPUT_BYTES."""
    data = stream.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"larger than {MAX_INPUT_BYTES >> 20} MiB, not a Dockerfile", path)
    return data


def decode_dockerfile_bytes(data: bytes, path: Path | str) -> str:
    """Decode UTF-8 bytes, rejecting binary content (NUL bytes) and other encodings."""
    # NUL never occurs in a text Dockerfile; checking it first gives "binary" rather than
    # a confusing decode error for images, archives and executables
    if b"\x00" in data:
        raise InputError("binary file (contains NUL bytes), not a Dockerfile", path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(f"not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at column {column})",
                         path, line) from None
