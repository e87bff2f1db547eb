"""What a Dockerfile's final image claims: its EXPOSEd ports and its HEALTHCHECK.

Read from the final stage and the stages it is built FROM (stage aliases), with ARG/ENV
values expanded; what the external base image itself declares is not known here.  Shared
by the manifest rules that check a Compose service against the image its ``build:`` makes.
"""

from __future__ import annotations

import re

from pylint_image.linter import Dockerfile, Instruction, walk

from .images import stage_chain
from .variables import expand

_PORT = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?(?:/(tcp|udp|sctp))?$", re.IGNORECASE)
MAX_RANGE = 1024  # a published range wider than this is not checked port by port


def parse_ports(text: str) -> list[tuple[int, str]] | None:
    """``80``, ``80/udp``, ``8000-8010/tcp`` as (port, protocol) pairs; None when not a port spec."""
    m = _PORT.match(text.strip())
    if m is None:
        return None
    low, high = int(m.group(1)), int(m.group(2) or m.group(1))
    if high < low or high - low > MAX_RANGE:
        return None
    proto = (m.group(3) or "tcp").lower()
    return [(p, proto) for p in range(low, high + 1)]


def _chain(dockerfile: Dockerfile) -> list:
    final = dockerfile.final_stage
    return list(reversed(list(stage_chain(dockerfile, final)))) if final is not None else []


def exposed_ports(dockerfile: Dockerfile) -> set[tuple[int, str]] | None:
    """The (port, protocol) pairs the final image EXPOSEs; None when a variable leaves one unknown."""
    found: set[tuple[int, str]] = set()
    for stage in _chain(dockerfile):
        for instruction, scope in walk(dockerfile, stage):
            if instruction.keyword != "EXPOSE":
                continue
            for word in expand(instruction.value_after_flags, scope).split():
                if "$" in word:
                    return None
                ports = parse_ports(word)
                if ports is not None:
                    found.update(ports)
    return found


def healthcheck(dockerfile: Dockerfile) -> Instruction | None:
    """The HEALTHCHECK in effect in the final image (the last one of its stage chain), or None."""
    last: Instruction | None = None
    for stage in _chain(dockerfile):
        for instruction in stage.instructions:
            if instruction.keyword == "HEALTHCHECK":
                last = instruction
    return last


def disables_healthcheck(instruction: Instruction) -> bool:
    """True for ``HEALTHCHECK NONE``."""
    return instruction.value_after_flags.strip().upper() == "NONE"
