"""Recognize the RPM-family package managers (yum, dnf, microdnf, tdnf, zypper) in a command's argv.

``packages.py`` covers apt/apk/pip/npm/gem; these managers differ enough (global options
before the verb, ``name-version`` pins, ``clean all``) to have their own small recognizer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .variables import has_variables
from pylint_image.rules._shared import frozen

MANAGERS = {"yum": "yum", "dnf": "dnf", "microdnf": "dnf", "tdnf": "dnf", "dnf5": "dnf", "zypper": "zypper"}
# Options that take the next word as their value (global or per verb).
_VALUE_OPTIONS = frozenset({
    "-c", "--config", "--installroot", "--releasever", "-x", "--exclude", "--enablerepo", "--disablerepo",
    "--repo", "--repoid", "--setopt", "-d", "--debuglevel", "-e", "--errorlevel", "--forcearch",
    "-R", "--root", "-r", "--from", "-t", "--type", "--cache-dir", "--reposd-dir", "--pkg-cache-dir",
})
INSTALL_VERBS = frozenset({"install", "in"})
# ``-[epoch:]version[-release]`` at the end, the version dotted (``java-11-openjdk`` is a name)
_VERSION_TAIL_RE = re.compile(r"-(?:\d+:)?\d[\w+~^]*\.[\w.+~^]*(?:-[\w.+~^]+)?$")
_ZYPPER_PIN_RE = re.compile(r"(=|<|>)")


@frozen
class RpmCommand:
    """One yum/dnf/zypper command: its manager family, tool name, verb and words after the tool."""

    manager: str  # yum, dnf or zypper
    tool: str
    verb: str
    options: tuple[str, ...]  # every option word, before and after the verb
    operands: tuple[str, ...]  # positional words after the verb (option values excluded)


def recognize(name: str, args: Sequence[str]) -> RpmCommand | None:
    """Return the RpmCommand for program ``name`` run with ``args``, or None."""
    manager = MANAGERS.get(name)
    if manager is None:
        return None
    options: list[str] = []
    positional: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word.startswith("-") and len(word) > 1:
            options.append(word)
            if word in _VALUE_OPTIONS and i + 1 < len(args):
                i += 1
        else:
            positional.append(word)
        i += 1
    verb = positional[0] if positional else ""
    return RpmCommand(manager, name, verb, tuple(options), tuple(positional[1:]))


def is_pinned(manager: str, package: str) -> bool:
    """True when a package operand names a version (or is a file, URL, group, module stream or variable)."""
    if has_variables(package) or package.startswith(("@", ".", "/", "~")) or "://" in package:
        return True  # variables are supplied by the build; groups, files and URLs carry no name pin
    if package.endswith(".rpm") or "*" in package:
        return True
    if manager == "zypper":
        return bool(_ZYPPER_PIN_RE.search(package))
    if ":" in package and "-" not in package:
        return True  # ``dnf module install nodejs:18`` selects a stream
    return bool(_VERSION_TAIL_RE.search(package))
