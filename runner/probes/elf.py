"""Read the few ELF header fields the entrypoint probe needs: class, machine and PT_INTERP.

Parsed with ``struct``; anything the kernel would refuse with ENOEXEC yields None rather
than an exception (a broken binary is the kernel's to reject, not ours to crash on).  The
program headers and PT_INTERP are read wherever they sit, through ``read_at``, as the
kernel reads them: a hostile file cannot hide its loader past the first bytes.
"""

from __future__ import annotations

import os
import platform
import struct
from collections.abc import Callable

from pylint_image.linter.model.frozen import frozen

ELF_MAGIC = b"\x7fELF"
ReadAt = Callable[[int, int], bytes]   # (offset, size) -> at most size bytes
_PT_INTERP = 3
_MAX_PHDRS_BYTES = 65536    # the kernel refuses a larger program header table
_MAX_INTERP = 4096          # PATH_MAX: the kernel refuses a longer PT_INTERP
_PHDR_SIZE = {32: 32, 64: 56}

# e_machine values of the architectures images are built for.
MACHINES = {3: "386", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390x", 40: "arm", 62: "amd64",
            183: "arm64", 243: "riscv64", 258: "loong64"}
_HOST = {"x86_64": 62, "amd64": 62, "aarch64": 183, "arm64": 183, "armv7l": 40, "armv6l": 40,
         "i686": 3, "i386": 3, "ppc64le": 21, "ppc64": 21, "s390x": 22, "riscv64": 243}
# 64-bit hosts that also run their 32-bit sibling natively.
_COMPAT = {62: {3}, 183: {40}}


class _Malformed(Exception):
    """The kernel would refuse the file (ENOEXEC)."""


@frozen
class ElfInfo:
    """What an ELF header says about running the file."""

    bits: int                 # 32 | 64
    machine: int              # e_machine
    interpreter: str | None   # PT_INTERP (dynamic executables), None for static ones

    @property
    def machine_name(self) -> str:
        """GOARCH-style name of ``machine`` (``amd64``), or ``machine N``."""
        return MACHINES.get(self.machine, f"machine {self.machine}")


def host_machine() -> int | None:
    """The e_machine of this host, or None when unknown."""
    return _HOST.get(platform.machine().lower())


def runs_on_host(info: ElfInfo, host: int | None = None) -> bool:
    """True when the host CPU executes ``info``'s machine code natively (unknown host: assume yes)."""
    host = host_machine() if host is None else host
    return host is None or info.machine == host or info.machine in _COMPAT.get(host, set())


def parse_elf(data: bytes, read_at: ReadAt | None = None) -> ElfInfo | None:
    """Parse an ELF header and its PT_INTERP; None if not ELF or malformed where the kernel refuses it.

    ``data`` is the file's leading bytes; ``read_at`` reads elsewhere in the file (without
    it, only ``data`` is looked at).
    """
    if len(data) < 52 or not data.startswith(ELF_MAGIC) or data[4] not in (1, 2) or data[5] not in (1, 2):
        return None
    bits = 32 if data[4] == 1 else 64
    endian = "<" if data[5] == 1 else ">"
    header = endian + ("18xH12xQ14xHH" if bits == 64 else "18xH8xI10xHH")
    try:
        machine, phoff, phentsize, phnum = struct.unpack_from(header, data, 0)
        return ElfInfo(bits, machine, _interpreter(data, read_at, bits, endian, (phoff, phentsize, phnum)))
    except (struct.error, _Malformed):
        return None


def _read(data: bytes, read_at: ReadAt | None, offset: int, size: int) -> bytes:
    """``size`` bytes at ``offset``: from ``data`` when they are there, else through ``read_at``."""
    if offset + size <= len(data) or read_at is None:
        chunk = data[offset:offset + size]
    else:
        chunk = read_at(offset, size)
    if len(chunk) < size:
        raise _Malformed("truncated")   # the kernel's read comes up short: EIO, no exec
    return chunk


def _interpreter(data: bytes, read_at: ReadAt | None, bits: int, endian: str,
                 table_at: tuple[int, int, int]) -> str | None:
    """The first PT_INTERP's path, checked as binfmt_elf checks it."""
    phoff, phentsize, phnum = table_at
    expected = _PHDR_SIZE[bits]
    # p_type, p_offset, p_filesz
    entry_fmt = endian + ("I4xQ16xQ" if bits == 64 else "II8xI")
    if phentsize != expected or phnum * expected > _MAX_PHDRS_BYTES:
        raise _Malformed("program headers")
    table = _read(data, read_at, phoff, phnum * expected) if phnum else b""
    for index in range(phnum):
        p_type, offset, size = struct.unpack_from(entry_fmt, table, index * expected)
        if p_type != _PT_INTERP:
            continue
        if not 2 <= size <= _MAX_INTERP:
            raise _Malformed("PT_INTERP size")
        raw = _read(data, read_at, offset, size)
        if raw[-1:] != b"\0":
            raise _Malformed("PT_INTERP not NUL-terminated")
        return os.fsdecode(raw.split(b"\0", 1)[0])
    return None
