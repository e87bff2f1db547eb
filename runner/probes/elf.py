"""Read the few ELF header fields the entrypoint probe needs: class, machine and PT_INTERP.

Parsed with ``struct`` from the first bytes of the file; anything malformed yields None
rather than an exception (a broken binary is the kernel's to reject, not ours to crash on).
"""

from __future__ import annotations

import platform
import struct
from pylint_image.linter.model.frozen import frozen

ELF_MAGIC = b"\x7fELF"
_PT_INTERP = 3
_MAX_PHDRS = 256

# e_machine values of the architectures images are built for.
MACHINES = {3: "386", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390x", 40: "arm", 62: "amd64",
            183: "arm64", 243: "riscv64", 258: "loong64"}
_HOST = {"x86_64": 62, "amd64": 62, "aarch64": 183, "arm64": 183, "armv7l": 40, "armv6l": 40,
         "i686": 3, "i386": 3, "ppc64le": 21, "ppc64": 21, "s390x": 22, "riscv64": 243}
# 64-bit hosts that also run their 32-bit sibling natively.
_COMPAT = {62: {3}, 183: {40}}


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


def parse_elf(data: bytes) -> ElfInfo | None:
    """Parse an ELF header and its PT_INTERP from the file's leading bytes; None if not ELF."""
    if len(data) < 52 or not data.startswith(ELF_MAGIC) or data[4] not in (1, 2) or data[5] not in (1, 2):
        return None
    bits = 32 if data[4] == 1 else 64
    endian = "<" if data[5] == 1 else ">"
    try:
        if bits == 64:
            machine, phoff, phentsize, phnum = _fields(data, endian + "18xH12xQ14xHH", 0)
            entry_fmt = endian + "I4xQ16xQ"          # p_type, p_offset, p_filesz
        else:
            machine, phoff, phentsize, phnum = _fields(data, endian + "18xH8xI10xHH", 0)
            entry_fmt = endian + "II8xI"
    except struct.error:
        return None
    return ElfInfo(bits, machine, _interpreter(data, endian, entry_fmt, phoff, phentsize, phnum))


def _fields(data: bytes, fmt: str, offset: int) -> tuple[int, ...]:
    return struct.unpack_from(fmt, data, offset)


def _interpreter(data: bytes, endian: str, entry_fmt: str, phoff: int, phentsize: int,
                 phnum: int) -> str | None:
    for index in range(min(phnum, _MAX_PHDRS)):
        try:
            p_type, offset, size = struct.unpack_from(entry_fmt, data, phoff + index * phentsize)
        except struct.error:
            return None
        if p_type == _PT_INTERP:
            raw = data[offset:offset + size]
            return raw.split(b"\0", 1)[0].decode(errors="replace") or None
    return None
