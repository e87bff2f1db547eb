"""Ports probe: what listens inside the container's network namespace, against what it EXPOSEs."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pylint_image.linter.model.runtime import PortObservation

from ..sandbox import ListeningSocket

PROBE = "ports"


def parse_exposed(values: Iterable[str]) -> tuple[tuple[int, str], ...]:
    """``8080/tcp``, ``53/udp``, ``9000`` (tcp) and ranges ``7000-7002/tcp`` into (port, protocol)."""
    found: dict[tuple[int, str], None] = {}
    for value in values:
        text, _, protocol = value.strip().partition("/")
        protocol = (protocol or "tcp").lower()
        low, _, high = text.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            continue   # unresolved variables and junk are the Dockerfile rules' business
        first, last = int(low), int(high or low)
        for port in range(first, min(last, first + 1024) + 1):
            if 0 < port < 65536 and protocol in ("tcp", "udp", "sctp"):
                found[(port, protocol)] = None
    return tuple(found)


def all_listening(declared: Iterable[tuple[int, str]], sockets: Iterable[ListeningSocket]) -> bool:
    """True when every declared (port, protocol) has a listener (sctp is not visible: skipped)."""
    seen = {(s.port, s.protocol) for s in sockets}
    return all(key in seen for key in declared if key[1] != "sctp")


def _connect_host(addresses: tuple[str, ...], own: str | None) -> str:
    """Where a client would connect: the container's own address when a listener takes it.

    A wildcard listener (``0.0.0.0``, or ``::`` which also takes IPv4 unless V6ONLY) is
    tried on the container's address, as a client from another container would; a
    loopback-only listener can only be tried on loopback.
    """
    if own is not None and any(a in ("0.0.0.0", "::", own) for a in addresses):
        return own
    if any(a in ("0.0.0.0", "::") or a.startswith("127.") for a in addresses):
        return "127.0.0.1"
    return "::1" if "::1" in addresses else addresses[0]


def observe_ports(declared: Iterable[tuple[int, str]], sockets: Iterable[ListeningSocket],
                  connect: Callable[[int, str], bool] | None,
                  own_address: str | None = None) -> tuple[PortObservation, ...]:
    """One observation per declared port, then one per undeclared listening port."""
    by_key: dict[tuple[int, str], list[str]] = {}
    for sock in sockets:
        by_key.setdefault((sock.port, sock.protocol), []).append(sock.address)
    result = []
    declared = tuple(declared)
    for port, protocol in declared:
        if protocol == "sctp":
            continue   # /proc/net/sctp is not read: no verdict rather than a false one
        addresses = tuple(sorted(set(by_key.get((port, protocol), ()))))
        reachable = None
        if addresses and protocol == "tcp" and connect is not None:
            reachable = connect(port, _connect_host(addresses, own_address))
        result.append(PortObservation(port, protocol, True, addresses, reachable))
    for (port, protocol), seen in sorted(by_key.items()):
        if (port, protocol) not in declared:
            result.append(PortObservation(port, protocol, False, tuple(sorted(set(seen)))))
    return tuple(result)
