"""Recognize commands and variables that turn off TLS or package-signature verification.

Each recognizer takes a program basename and its arguments (words after the program, as
the parser split them) and returns a short description of what was turned off, or None.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .packages import recognize_invocation
from .rpm import recognize as recognize_rpm
from .shell import has_any_flag, positional

_FALSE = frozenset({"false", "0", "no", "off"})
# variable -> predicate on its value: True when the value disables verification
TLS_VARIABLES = {
    "GIT_SSL_NO_VERIFY": lambda v: bool(v),  # git skips verification for any non-empty value
    "NODE_TLS_REJECT_UNAUTHORIZED": lambda v: v == "0",
    "PYTHONHTTPSVERIFY": lambda v: v == "0",
    "NPM_CONFIG_STRICT_SSL": lambda v: v.lower() in _FALSE,
    "YARN_ENABLE_STRICT_SSL": lambda v: v.lower() in _FALSE,
    "PIP_TRUSTED_HOST": lambda v: bool(v),
    # Go fetches matching module paths over plain HTTP or without checking the certificate
    "GOINSECURE": lambda v: bool(v),
    # ``-insecure`` (GOPATH-mode ``go get``) allows HTTP and skips certificate checks
    "GOFLAGS": lambda v: "-insecure" in v.split() or "--insecure" in v.split(),
}
_GIT_SSL_KEY = re.compile(r"^http\.(?:.+\.)?sslverify$", re.IGNORECASE)
_SETOPT_RE = re.compile(r"^--setopt=(?:[^=]*\.)?(sslverify|gpgcheck|repo_gpgcheck)=(.*)$", re.IGNORECASE)


def tls_variable(name: str, value: str) -> str | None:
    """Describe a variable assignment that disables TLS verification."""
    check = TLS_VARIABLES.get(name.upper() if name.lower().startswith(("npm_config", "yarn_")) else name)
    value = value.strip("'\"")
    return f"{name}={value}" if check is not None and check(value) else None


def _config_set(words: Sequence[str], keys: tuple[str, ...]) -> bool:
    """True for ``... set KEY false`` / ``set KEY=false`` among ``words``."""
    for i, word in enumerate(words):
        key, eq, value = word.partition("=")
        if key in keys and (value.lower() in _FALSE if eq else i + 1 < len(words) and words[i + 1].lower() in _FALSE):
            return "set" in words[:i]
    return False


def tls_command(name: str, args: Sequence[str]) -> str | None:
    """Describe how this command turns off TLS certificate verification, if it does."""
    if name == "curl" and has_any_flag(args, "k", "insecure", "proxy-insecure"):
        return "curl --insecure"
    if name == "wget" and "--no-check-certificate" in args:
        return "wget --no-check-certificate"
    if name in ("npm", "yarn", "pnpm") and (_config_set(args, ("strict-ssl", "enableStrictSsl"))
                                            or "--strict-ssl=false" in args):
        return f"{name} strict-ssl false"
    if name == "git":
        for i, word in enumerate(args):
            key, _, value = (args[i + 1] if word == "-c" and i + 1 < len(args) else "").partition("=")
            if _GIT_SSL_KEY.match(key) and value.lower() in _FALSE:
                return "git -c http.sslVerify=false"
        ops = positional(args)
        if ops[:1] == ["config"] and len(ops) >= 3 and _GIT_SSL_KEY.match(ops[1]) and ops[2].lower() in _FALSE:
            return "git config http.sslVerify false"
    if name in ("yum-config-manager", "dnf") and any(
            (m := _SETOPT_RE.match(w)) and m.group(1).lower() == "sslverify" and m.group(2).lower() in _FALSE
            for w in args):
        return f"{name} sslverify=0"
    if name == "go":
        ops = positional(args)
        if ops[:1] == ["env"] and "-w" in args:  # ``go env -w GOINSECURE=...`` persists the setting
            found = next((w for w in (tls_variable(*t.split("=", 1)) for t in ops[1:] if "=" in t) if w), None)
            if found:
                return f"go env -w {found}"
        if ops[:1] == ["get"] and ("-insecure" in args or "--insecure" in args):
            return "go get -insecure"
    pip = recognize_invocation([name, *args]) if name.startswith(("pip", "python", "uv")) else None
    if pip is not None and pip.manager == "pip":
        if pip.has_option("--trusted-host") or any(w.endswith("trusted-host") for w in args if "config" in args):
            return "pip --trusted-host"
    return None


def unsigned_command(name: str, args: Sequence[str]) -> str | None:
    """Describe how this command turns off package signature checks, if it does."""
    trusted = next((w for w in args if re.search(r"\[[^\]]*(trusted|allow-insecure)=yes", w)), None)
    # a local ``file:``/``copy:`` repository holds packages built by this very build: nothing to verify
    if trusted is not None and not re.search(r"\]\s*(file|copy):", trusted):
        return "a repository marked [trusted=yes]"
    if name in ("apt-get", "apt", "aptitude"):
        for word in args:
            if word in ("--allow-unauthenticated", "--allow-insecure-repositories", "--force-yes"):
                return f"{name} {word}"
            if re.search(r"(AllowUnauthenticated|AllowInsecureRepositories)=(true|1|yes)", word, re.IGNORECASE):
                return f"{name} -o {word}"
    if name == "apk" and "--allow-untrusted" in args:
        operands = positional(args)[1:]
        # local .apk files were built (or checked) by this build; only repository packages are judged
        if not operands or not all(w.startswith(("/", ".")) or w.endswith(".apk") for w in operands):
            return "apk --allow-untrusted"
    if name == "rpm":
        found = next((w for w in args if w in ("--nosignature", "--nodigest", "--nofiledigest")), None)
        return f"rpm {found}" if found else None
    rpm = recognize_rpm(name, args)
    if rpm is not None or name == "yum-config-manager":
        for word in args:
            if word in ("--nogpgcheck", "--no-gpg-checks", "--no-gpgcheck"):
                return f"{name} {word}"
            m = _SETOPT_RE.match(word)
            if m and m.group(1).lower() != "sslverify" and m.group(2).lower() in _FALSE:
                return f"{name} {word}"
    if any(re.search(r"(^|\s)gpgcheck\s*=\s*0", w) for w in args):
        return "a repository written with gpgcheck=0"
    return None
