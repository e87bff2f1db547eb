"""Recognize package-manager invocations (apt, apk, pip, npm, yarn, gem) in a command's argv.

Everything here works on one simple command as a list of words (``argv``), already split
by the shell tokenizer and with ARG/ENV references expanded where they are known.  A word
that still holds a ``$VAR`` reference is an unknown value: a version written as
``pkg=${VER}`` counts as pinned (the build supplies it), and a word that is nothing but a
variable (``$PACKAGES``) is neither pinned nor unpinned.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from .variables import has_variables
from pylint_image.rules._shared import frozen

# Words that may precede the real command name and are not part of it.
_PREFIX_WORDS = frozenset({"sudo", "env", "time", "nohup", "exec", "command", "nice", "then", "do",
                           "else", "elif", "if", "while", "until", "{", "!", "eatmydata"})
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PREFIX_ARG_OPTIONS = frozenset({"-u", "-g", "-n", "--user", "--group"})  # sudo/env/nice options with a value
_ONLY_VARIABLE_RE = re.compile(r"^(?:\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*)+$")
_PIP_SPEC_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\s*(===|==|>=|<=|!=|~=|<|>)\s*(\S.*)?$")
_APK_SPEC_RE = re.compile(r"^[^=~<>]+(=|~|>=|<=|>|<)(.*)$")
_PIP_RE = re.compile(r"^pip[0-9.]*$")
_PYTHON_RE = re.compile(r"^python[0-9.]*$")
_FLOATING_NPM_TAGS = frozenset({"latest", "next", "*", ""})

# Options that take the next word as their value, per manager.
_VALUE_OPTIONS = {
    "apt": frozenset({"-o", "--option", "-t", "--target-release", "--default-release", "-c", "--config-file"}),
    "apk": frozenset({"-t", "--virtual", "-X", "--repository", "-p", "--root", "--keys-dir", "--arch",
                      "--repositories-file", "--cache-dir"}),
    "pip": frozenset({"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
                      "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
                      "--trusted-host", "--platform", "--python-version", "--implementation", "--abi", "--src",
                      "--upgrade-strategy", "--progress-bar", "--log", "--cache-dir", "--global-option",
                      "--install-option", "-C", "--config-settings", "--only-binary", "--no-binary",
                      "--timeout", "--retries", "--proxy", "--cert", "--client-cert", "--exists-action",
                      "--report", "--python", "--root-user-action", "--use-feature", "--keyring-provider"}),
    "npm": frozenset({"--prefix", "--registry", "--cache", "--loglevel", "--userconfig", "--tag", "-w",
                      "--workspace", "--omit", "--include", "--only", "--modules-folder", "--network-timeout",
                      "--cache-folder", "--mutex"}),
    "gem": frozenset({"-v", "--version", "-i", "--install-dir", "-n", "--bindir", "-s", "--source", "-P",
                      "--trust-policy", "--platform", "-g", "--file", "--build-root"}),
}
_VALUE_OPTIONS["yarn"] = _VALUE_OPTIONS["npm"]
_INSTALL_VERBS = {
    "apt": frozenset({"install"}),
    "apk": frozenset({"add"}),
    "pip": frozenset({"install"}),
    "npm": frozenset({"install", "i", "add", "in", "ins", "inst", "insta", "instal", "isnt", "isnta",
                      "isntal", "isntall", "ci"}),
    "yarn": frozenset({"add", "install"}),
    "gem": frozenset({"install", "i"}),
}
# Where each manager keeps its cache: a cache mount or an ``rm`` of one of these clears it.
CACHE_DIRS = {
    "apt": ("/var/lib/apt/lists", "/var/lib/apt"),
    "apk": ("/var/cache/apk", "/etc/apk/cache"),
    "pip": ("/root/.cache/pip", "/root/.cache", "~/.cache", "$HOME/.cache", "${HOME}/.cache"),
    "yarn": ("/usr/local/share/.cache/yarn", "/root/.cache/yarn", "/usr/local/share/.cache"),
}


@frozen
class Package:
    """One package argument: ``kind`` is name, file, path, url, requirements or variable."""

    text: str
    index: int  # position in the command's argv
    kind: str
    pinned: bool


@frozen
class Install:
    """A package installation command: which manager, its verb, options and package arguments."""

    manager: str  # apt, apk, pip, npm, yarn, gem
    tool: str  # the command name as written (basename): apt-get, pip3, python3, ...
    verb: str
    verb_index: int
    options: tuple[tuple[str, str | None], ...]  # (option, value) in order
    packages: tuple[Package, ...]

    def has_option(self, *names: str) -> bool:
        """True when any of the long or short option ``names`` was given."""
        return any(name in names for name, _ in self.options)

    def option_values(self, *names: str) -> list[str]:
        """Return the values given to any of ``names``."""
        return [value for name, value in self.options if name in names and value is not None]

    @property
    def unpinned(self) -> tuple[Package, ...]:
        """Package arguments that name a package without a version."""
        return tuple(p for p in self.packages if not p.pinned)


def command_start(argv: Sequence[str]) -> int:
    """Return the index of the command name, skipping ``sudo``, ``env``, assignments and the like."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if word in _PREFIX_WORDS or _ASSIGNMENT_RE.match(word):
            i += 1
            while i < len(argv) and argv[i].startswith("-") and i > 0 and argv[i - 1] in ("sudo", "env", "nice"):
                i += 2 if argv[i] in _PREFIX_ARG_OPTIONS else 1
            continue
        return i
    return i


def command_name(argv: Sequence[str]) -> tuple[int, str]:
    """Return ``(index, basename)`` of the command name in ``argv`` ('' when there is none)."""
    i = command_start(argv)
    return (i, os.path.basename(argv[i])) if i < len(argv) else (i, "")


def _manager(argv: Sequence[str]) -> tuple[str, str, int] | None:
    """Return ``(manager, tool, index after the tool words)`` for a package-manager command."""
    i, name = command_name(argv)
    if name in ("apt-get", "apt", "aptitude"):
        return "apt", name, i + 1
    if name in ("apk", "gem", "npm", "yarn"):
        return name, name, i + 1
    if _PIP_RE.match(name):
        return "pip", name, i + 1
    if _PYTHON_RE.match(name) and argv[i + 1 : i + 3] == ["-m", "pip"]:
        return "pip", name, i + 3
    if name == "uv" and argv[i + 1 : i + 2] == ["pip"]:
        return "pip", name, i + 2
    return None


def _split_options(manager: str, argv: Sequence[str], start: int) -> tuple[list[tuple[str, str | None]], list[int]]:
    """Split words from ``start`` into options (with values) and positional word indexes."""
    options: list[tuple[str, str | None]] = []
    positional: list[int] = []
    value_options = _VALUE_OPTIONS[manager]
    i = start
    while i < len(argv):
        word = argv[i]
        if word == "--":
            positional.extend(range(i + 1, len(argv)))
            break
        if word.startswith("-") and len(word) > 1:
            name, eq, value = word.partition("=")
            if eq:
                options.append((name, value))
            elif name in value_options and i + 1 < len(argv):
                options.append((name, argv[i + 1]))
                i += 1
            elif manager == "apt" and name.startswith("-o") and len(name) > 2:
                options.append(("-o", word[2:]))  # ``-oKEY=VALUE`` glued form
            else:
                options.append((name, None))
        else:
            positional.append(i)
        i += 1
    return options, positional


def recognize_invocation(argv: Sequence[str]) -> Install | None:
    """Return any package-manager command (``apt-get update``, ``pip list``...) with its verb.

    ``packages`` is empty here; use ``recognize_install`` for installs.
    """
    found = _manager(argv)
    if found is None:
        return None
    manager, tool, start = found
    options, positional = _split_options(manager, argv, start)
    if manager == "yarn" and positional and argv[positional[0]] == "global":
        positional = positional[1:]  # ``yarn global add pkg``
    if not positional:
        return Install(manager, tool, "", -1, tuple(options), ())
    return Install(manager, tool, argv[positional[0]], positional[0], tuple(options), ())


def recognize_install(argv: Sequence[str]) -> Install | None:
    """Return the Install described by ``argv``, or None when it installs no packages."""
    found = recognize_invocation(argv)
    if found is None or found.verb not in _INSTALL_VERBS[found.manager]:
        return None
    _, positional = _split_options(found.manager, argv, found.verb_index + 1)
    packages = _classify(found.manager, argv, positional, list(found.options))
    return Install(found.manager, found.tool, found.verb, found.verb_index, found.options, tuple(packages))


def _classify(manager: str, argv: Sequence[str], indexes: list[int],
              options: list[tuple[str, str | None]]) -> list[Package]:
    """Classify each positional word as a pinned or unpinned package argument."""
    packages: list[Package] = []
    if manager == "pip":
        for name, value in options:
            if name in ("-r", "--requirement", "-c", "--constraint") and value is not None:
                packages.append(Package(value, -1, "requirements", True))
            elif name in ("-e", "--editable") and value is not None:
                packages.append(Package(value, -1, "path", True))
    gem_version = manager == "gem" and any(n in ("-v", "--version") for n, _ in options)
    skip_next = False
    for i in indexes:
        if skip_next:
            skip_next = False
            continue
        word = argv[i]
        if manager == "pip" and i + 1 < len(argv) and argv[i + 1] == "@":
            packages.append(Package(word, i, "url", True))  # PEP 508 ``name @ url``
            skip_next = True
            continue
        if word == "@":
            continue
        packages.append(_classify_word(manager, word, i, gem_version))
    return packages


def _classify_word(manager: str, word: str, index: int, gem_version: bool) -> Package:
    """Classify one package word for ``manager``."""
    if _ONLY_VARIABLE_RE.match(word):
        return Package(word, index, "variable", True)  # unknown content: not judged
    if "://" in word or word.startswith(("git+", "git@", "file:", "github:")):
        return Package(word, index, "url", True)
    if word.startswith((".", "/", "~")) or word.endswith((".deb", ".apk", ".whl", ".tar.gz", ".tgz", ".zip", ".gem")):
        return Package(word, index, "file", True)
    return Package(word, index, "name", _has_version(manager, word, gem_version))


def _has_version(manager: str, word: str, gem_version: bool) -> bool:
    """True when a package name word carries a (non-empty) version for ``manager``."""
    if manager == "apt":
        return bool(word.partition("=")[2])
    if manager == "apk":
        match = _APK_SPEC_RE.match(word)
        return bool(match and match.group(2))
    if manager == "pip":
        match = _PIP_SPEC_RE.match(word)
        return bool(match and match.group(2))
    if manager in ("npm", "yarn"):
        at = word.find("@", 1)  # a leading ``@`` starts a scope, not a version
        return at > 0 and word[at + 1 :] not in _FLOATING_NPM_TAGS
    if manager == "gem":
        return gem_version or bool(word.partition(":")[2])
    return False


def mentions_variable(word: str) -> bool:
    """True when ``word`` still holds an unexpanded variable reference."""
    return has_variables(word)
