"""Read a network namespace's listening sockets from /proc/<pid>/net/{tcp,tcp6,udp,udp6}."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path
from pylint_image.linter.model.frozen import frozen

_TCP_LISTEN = "0A"
_UDP_UNCONNECTED = "07"
_TABLES = (("tcp", 4, _TCP_LISTEN), ("tcp6", 6, _TCP_LISTEN),
           ("udp", 4, _UDP_UNCONNECTED), ("udp6", 6, _UDP_UNCONNECTED))
_READ_SIZE = 1 << 16
_SURELY_COMPLETE = 2048   # a first read shorter than this ended at EOF (see read_proc_table)


@frozen
class ListeningSocket:
    """A TCP socket in LISTEN state or a bound, unconnected UDP socket."""

    protocol: str   # "tcp" | "udp"
    family: int     # 4 | 6
    address: str
    port: int

    @property
    def wildcard(self) -> bool:
        """True for 0.0.0.0 or :: (an IPv6 wildcard also accepts IPv4 unless V6ONLY)."""
        return ipaddress.ip_address(self.address).is_unspecified

    @property
    def loopback(self) -> bool:
        """True when only the loopback interface can reach it (127.0.0.0/8, ::1, mapped)."""
        ip = ipaddress.ip_address(self.address)
        mapped = getattr(ip, "ipv4_mapped", None)
        return (mapped or ip).is_loopback


def decode_address(hex_addr: str, family: int) -> str:
    """Decode the kernel's hex address (32-bit words in host byte order) to text."""
    raw = bytes.fromhex(hex_addr)
    # /proc prints each 32-bit word as a native-endian integer: swap each word back.
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    if socket.htonl(1) == 1:   # big-endian host: words are already in network order
        words = raw
    return socket.inet_ntop(socket.AF_INET if family == 4 else socket.AF_INET6, words)


def parse_table(text: str, protocol: str, family: int, state: str) -> list[ListeningSocket]:
    """Parse one /proc/net table, keeping rows in ``state`` with a bound port."""
    found = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 4 or fields[3] != state:
            continue
        addr, port_hex = fields[1].split(":")
        port = int(port_hex, 16)
        if port:
            found.append(ListeningSocket(protocol, family, decode_address(addr, family), port))
    return found


def read_proc_table(path: Path) -> str:
    """Read a /proc/net table, sparing the extra end-of-file read when the first one proves it.

    The kernel fills these seq_files by walking the host-wide socket hash, milliseconds on a
    big host, once per read() call, so ``read_text`` (read, then read again to see EOF) costs
    twice that.  A seq_file read stops early only at the end of the table or when its buffer
    (at least a page, 4096 bytes) is full, and one row is under 200 bytes: a first read much
    shorter than a page can only have stopped at the end.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = [os.read(fd, _READ_SIZE)]
        if len(chunks[0]) >= _SURELY_COMPLETE:
            while chunk := os.read(fd, _READ_SIZE):
                chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("ascii", errors="replace")


def listening_sockets(proc_net: Path) -> tuple[ListeningSocket, ...]:
    """All listening sockets in the namespace whose ``net`` dir is ``proc_net``, deduplicated."""
    found: dict[ListeningSocket, None] = {}
    for name, family, state in _TABLES:
        try:
            text = read_proc_table(proc_net / name)
        except OSError:
            continue
        for sock in parse_table(text, name.rstrip("6"), family, state):
            found[sock] = None
    return tuple(sorted(found, key=lambda s: (s.protocol, s.port, s.family, s.address)))
