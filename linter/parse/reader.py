"""Reads a Dockerfile from disk into text, turning every unreadable input into one InputError."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError


def read_dockerfile_text(path: Path) -> str:
    """Return the file's text; raise InputError naming the file when it is not a text Dockerfile."""
    if path.is_dir():
        raise InputError("is a directory, not a Dockerfile", path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except PermissionError:
        raise InputError("permission denied", path) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path) from None
    return decode_dockerfile_bytes(data, path)


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
