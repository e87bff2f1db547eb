"""Port checks connect where a client would: the container's own address for every listener that takes it."""

from __future__ import annotations

from pylint_image.runner.probes.ports import observe_ports
from pylint_image.runner.sandbox import ListeningSocket

OWN = "172.17.0.2"


def _tried(sockets: list[ListeningSocket], own: str | None) -> list[tuple[int, str]]:
    tried: list[tuple[int, str]] = []
    observe_ports([(s.port, s.protocol) for s in sockets], sockets,
                  lambda port, host: tried.append((port, host)) is None, own)
    return tried


def test_wildcard_and_own_address_listeners_are_tried_on_the_containers_address():
    sockets = [ListeningSocket("tcp", 4, "0.0.0.0", 80), ListeningSocket("tcp", 6, "::", 81),
               ListeningSocket("tcp", 4, OWN, 82), ListeningSocket("tcp", 4, "127.0.0.1", 83)]
    assert _tried(sockets, OWN) == [(80, OWN), (81, OWN), (82, OWN), (83, "127.0.0.1")]


def test_without_an_own_address_loopback_is_tried():
    sockets = [ListeningSocket("tcp", 4, "0.0.0.0", 80), ListeningSocket("tcp", 6, "::1", 81)]
    assert _tried(sockets, None) == [(80, "127.0.0.1"), (81, "::1")]
