"""Docker's seccomp profile, turned into the runtime spec's ``linux.seccomp`` as dockerd 20.10 does.

A Docker-format profile is conditional: rules carry ``includes``/``excludes`` on capabilities,
architectures and kernel versions.  :func:`to_oci` keeps the rules that match the container's
bounding set, this host's architecture and kernel, exactly as moby's
``profiles/seccomp/seccomp_linux.go`` does, so the filter runc loads equals what ``docker run``
gives the same container.  The profile itself is read from the host (Debian ships it in
``golang-github-docker-docker-dev``); it is never vendored into this repository.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import stat
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pylint_image.linter.errors import SandboxUnavailable

LOG = logging.getLogger(__name__)

PROFILE_ENV = "PYLINT_IMAGE_SECCOMP_PROFILE"
HOW_TO_GET = (
    "get Docker's seccomp profile: apt-get download golang-github-docker-docker-dev && "
    "dpkg-deb -x golang-github-docker-docker-dev_*.deb /tmp/d && install -D -m 644 "
    "/tmp/d/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json "
    "/usr/local/share/pylint-image/seccomp/default.json; or pass --seccomp-profile PATH "
    "(any Docker-format profile), or --unconfined to run without seccomp"
)
# Same order as Docker's oci/caps/defaults.go, so a generated config reads like Docker's.
DOCKER_DEFAULT_CAPS: tuple[str, ...] = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
)
MAX_PROFILE_BYTES = 4 * 1024 * 1024

_SUBPATH = Path("pylint-image/seccomp/default.json")
_DEBIAN_GOCODE = Path("/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json")
# uname machine -> the libseccomp-style name Docker uses in `arches` conditions.
_MACHINE_TO_NATIVE = {
    "x86_64": "amd64", "amd64": "amd64", "i386": "x86", "i486": "x86", "i586": "x86",
    "i686": "x86", "aarch64": "arm64", "arm64": "arm64", "armv6l": "arm", "armv7l": "arm",
    "armv8l": "arm", "arm": "arm", "ppc64le": "ppc64le", "ppc64": "ppc64", "ppc": "ppc",
    "s390x": "s390x", "s390": "s390", "riscv64": "riscv64", "mips64": "mips64", "mips": "mipsle",
}
# moby's nativeToSeccomp: the archMap entry to pick for each native name.
_NATIVE_TO_SCMP = {
    "x86": "SCMP_ARCH_X86", "amd64": "SCMP_ARCH_X86_64", "arm": "SCMP_ARCH_ARM",
    "arm64": "SCMP_ARCH_AARCH64", "mips64": "SCMP_ARCH_MIPS64", "mips64n32": "SCMP_ARCH_MIPS64N32",
    "mipsel64": "SCMP_ARCH_MIPSEL64", "mips3l64n32": "SCMP_ARCH_MIPSEL64N32",
    "mipsle": "SCMP_ARCH_MIPSEL", "ppc": "SCMP_ARCH_PPC", "ppc64": "SCMP_ARCH_PPC64",
    "ppc64le": "SCMP_ARCH_PPC64LE", "riscv64": "SCMP_ARCH_RISCV64", "s390": "SCMP_ARCH_S390",
    "s390x": "SCMP_ARCH_S390X",
}
_CAP_NAME = re.compile(r"CAP_[A-Z0-9_]+\Z")
_DIGITS = re.compile(r"[0-9]+\Z")
_UINT_MAX = 2**64


class _Bad(ValueError):
    """A profile defect; the caller prefixes it with where the profile came from."""


def search_paths() -> list[Path]:
    """Where a Docker default profile is looked for when none is named, in order."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec says relative values are invalid and must be ignored.
    data_home = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local/share"
    return [Path("/usr/local/share") / _SUBPATH, Path("/usr/share") / _SUBPATH,
            _DEBIAN_GOCODE, data_home / _SUBPATH]


def find_profile(explicit: Path | None = None) -> Path | None:
    """The profile to use: the explicit path, $PYLINT_IMAGE_SECCOMP_PROFILE, then the search paths."""
    if explicit is not None:
        return Path(explicit)  # even if missing: loading it then fails with the user's path
    env = os.environ.get(PROFILE_ENV, "")
    if env:
        return Path(env)
    for candidate in search_paths():
        # lexists: a broken symlink is chosen, so loading fails loudly instead of silently
        # falling through to a different (maybe older) profile.
        if os.path.lexists(candidate):
            return candidate
    return None


def _show(path: Path) -> str:
    """The path for a one-line message, escaped when it holds control characters."""
    text = str(path)
    return text if text.isprintable() else ascii(text)


def _read_capped(path: Path) -> bytes:
    """Read a regular file of at most MAX_PROFILE_BYTES without ever blocking."""
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as exc:
        raise _Bad(f"cannot open: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Bad("not a regular file")
        if info.st_size > MAX_PROFILE_BYTES:
            raise _Bad(f"larger than {MAX_PROFILE_BYTES} bytes")
        chunks: list[bytes] = []
        total = 0
        while total <= MAX_PROFILE_BYTES:  # the file may grow after fstat
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > MAX_PROFILE_BYTES:
            raise _Bad(f"larger than {MAX_PROFILE_BYTES} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise _Bad(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _no_constant(name: str) -> Any:
    """Refuse NaN and Infinity, which are not JSON."""
    raise _Bad(f"not JSON: {name} is not a JSON value")


def load_profile(path: Path) -> dict[str, Any]:
    """Read and check a Docker-format seccomp profile; errors are one line starting with the path."""
    try:
        data = _read_capped(path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Bad(f"not UTF-8 text (byte {exc.start})") from None
        try:
            raw = json.loads(text, object_pairs_hook=list, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise _Bad(f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
        except RecursionError:
            raise _Bad("not JSON: nested too deeply") from None
        profile = _normalise(raw)
    except _Bad as exc:
        raise SandboxUnavailable(f"{_show(path)}: {exc}") from None
    LOG.debug("seccomp profile %s: %d rules", path, len(profile.get("syscalls", ())))
    return profile


# ---- shape checks: Go's encoding/json semantics, made stricter where Docker would misbehave ----

def _fields(raw: Any, where: str, known: Collection[str]) -> dict[str, Any]:
    """An object's known fields: keys matched case-insensitively, last wins, null means unset."""
    if isinstance(raw, Mapping):
        raw = list(raw.items())
    if not isinstance(raw, list) or not all(isinstance(p, tuple) and len(p) == 2 for p in raw):
        raise _Bad(f"{where} must be a JSON object")
    by_fold = {name.casefold(): name for name in known}
    out: dict[str, Any] = {}
    for key, value in raw:  # Go's decoder also lets a later duplicate key win
        name = by_fold.get(str(key).casefold())
        if name is None:
            continue  # Go ignores unknown fields (comment, and anything newer)
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def _string(value: Any, where: str) -> str:
    """A non-empty JSON string."""
    if not isinstance(value, str) or not value:
        raise _Bad(f"{where} must be a non-empty string")
    return value


def _strings(value: Any, where: str) -> list[str]:
    """A JSON array of non-empty strings."""
    if not isinstance(value, list):
        raise _Bad(f"{where} must be an array of strings")
    return [_string(item, f"{where}[{i}]") for i, item in enumerate(value)]


def _uint(value: Any, where: str) -> int:
    """A JSON unsigned integer that fits Go's uint64."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _UINT_MAX:
        raise _Bad(f"{where} must be an unsigned integer")
    return value


def _kernel(value: Any, where: str) -> tuple[int, int]:
    """A "<kernel>.<major>" minKernel; "" is 0.0 (always matches), "0.0" is refused as by Docker."""
    if not isinstance(value, str):
        raise _Bad(f'{where} must be a string "<kernel>.<major>"')
    if value == "":
        return (0, 0)
    parts = value.split(".")
    # Docker parses each part as an 8-bit unsigned integer.
    if len(parts) != 2 or not all(_DIGITS.match(p) and int(p) <= 255 for p in parts):
        raise _Bad(f'{where} {value!r} is not "<kernel>.<major>" (each part 0-255)')
    version = (int(parts[0]), int(parts[1]))
    if version == (0, 0):
        raise _Bad(f"{where} {value!r}: version cannot be 0.0")
    return version


def _filter(raw: Any, where: str) -> dict[str, Any]:
    """An includes/excludes condition with exact CAP_X capability names."""
    got = _fields(raw, where, ("caps", "arches", "minKernel"))
    out: dict[str, Any] = {}
    if got.get("caps"):
        caps = _strings(got["caps"], f"{where}.caps")
        for cap in caps:
            if not _CAP_NAME.match(cap):
                raise _Bad(f"{where}.caps names {cap!r}; Docker profiles need exact "
                           f"upper-case CAP_X names (e.g. 'CAP_SYS_ADMIN')")
        out["caps"] = caps
    if got.get("arches"):
        out["arches"] = _strings(got["arches"], f"{where}.arches")
    if "minKernel" in got:
        _kernel(got["minKernel"], f"{where}.minKernel")  # checked now, compared in to_oci
        out["minKernel"] = got["minKernel"]
    return out


def _arg(raw: Any, where: str) -> dict[str, Any]:
    """One argument comparison, in the runtime spec's form."""
    got = _fields(raw, where, ("index", "value", "valueTwo", "op"))
    out: dict[str, Any] = {"index": _uint(got.get("index", 0), f"{where}.index"),
                           "value": _uint(got.get("value", 0), f"{where}.value")}
    two = _uint(got.get("valueTwo", 0), f"{where}.valueTwo")
    if two:  # omitempty in the runtime spec
        out["valueTwo"] = two
    out["op"] = _string(got.get("op"), f"{where}.op")
    return out


def _rule(raw: Any, where: str) -> dict[str, Any]:
    """One syscalls[] entry: names (or the old single name), action, errnoRet, args, conditions."""
    got = _fields(raw, where, ("name", "names", "action", "errnoRet", "args", "includes", "excludes"))
    names = _strings(got.get("names", []), f"{where}.names")
    if got.get("name", "") != "":
        if names:
            raise _Bad(f"{where} has both 'name' and 'names'; use one")
        names = [_string(got["name"], f"{where}.name")]
    if not names:
        raise _Bad(f"{where} names no syscall")  # stricter than Docker: such a rule is a typo
    out: dict[str, Any] = {"names": names, "action": _string(got.get("action"), f"{where}.action")}
    if "errnoRet" in got:  # a pointer in Go: present means kept, even when 0
        out["errnoRet"] = _uint(got["errnoRet"], f"{where}.errnoRet")
    args = got.get("args", [])
    if not isinstance(args, list):
        raise _Bad(f"{where}.args must be an array")
    if args:
        out["args"] = [_arg(a, f"{where}.args[{i}]") for i, a in enumerate(args)]
    for key in ("includes", "excludes"):
        if key in got:
            out[key] = _filter(got[key], f"{where}.{key}")
    return out


def _arch_map(raw: Any) -> list[dict[str, Any]]:
    """The archMap: each native architecture with its sub-architectures."""
    if not isinstance(raw, list):
        raise _Bad("archMap must be an array")
    out = []
    for i, entry in enumerate(raw):
        got = _fields(entry, f"archMap[{i}]", ("architecture", "subArchitectures"))
        out.append({"architecture": _string(got.get("architecture"), f"archMap[{i}].architecture"),
                    "subArchitectures": _strings(got.get("subArchitectures", []),
                                                 f"archMap[{i}].subArchitectures")})
    return out


def _normalise(raw: Any) -> dict[str, Any]:
    """A checked profile with canonical keys, from either the current or the old format."""
    got = _fields(raw, "the profile", ("defaultAction", "defaultErrnoRet", "architectures",
                                       "archMap", "flags", "syscalls"))
    if not got.get("defaultAction"):
        raise _Bad("no defaultAction: not a seccomp profile")  # Docker would silently disable seccomp
    out: dict[str, Any] = {"defaultAction": _string(got["defaultAction"], "defaultAction")}
    if "defaultErrnoRet" in got:
        out["defaultErrnoRet"] = _uint(got["defaultErrnoRet"], "defaultErrnoRet")
    if got.get("architectures"):
        out["architectures"] = _strings(got["architectures"], "architectures")
    if got.get("archMap"):
        if "architectures" in out:
            raise _Bad("has both 'architectures' and 'archMap'; use one")
        out["archMap"] = _arch_map(got["archMap"])
    if got.get("flags"):
        out["flags"] = _strings(got["flags"], "flags")
    rules = got.get("syscalls", [])
    if not isinstance(rules, list):
        raise _Bad("syscalls must be an array")
    out["syscalls"] = [_rule(r, f"syscalls[{i}]") for i, r in enumerate(rules)]
    return out


# ---- conversion ----

def native_arch(machine: str | None = None) -> str:
    """Docker's name for this machine's architecture ("x86_64" -> "amd64"); "" if it has none."""
    return _MACHINE_TO_NATIVE.get(platform.machine() if machine is None else machine, "")


def host_kernel() -> tuple[int, int]:
    """This host's kernel version and major revision, read as Docker does ("6.1.0-13" -> (6, 1))."""
    match = re.match(r"([0-9]+)\.([0-9]+)", os.uname().release)
    if match is None:
        raise SandboxUnavailable(f"cannot parse the kernel release {os.uname().release!r}")
    return (int(match.group(1)), int(match.group(2)))


def _cap_name(cap: str) -> str:
    """chown, CHOWN or CAP_CHOWN -> CAP_CHOWN."""
    name = cap.strip().upper()
    return name if name.startswith("CAP_") else f"CAP_{name}"


def _keep(rule: Mapping[str, Any], arch: str, caps: Collection[str], kernel: Any) -> bool:
    """Whether moby keeps this rule for the given arch, bounding caps and (lazy) kernel version."""
    exc = rule.get("excludes", {})
    if arch in exc.get("arches", ()):
        return False
    if any(c in caps for c in exc.get("caps", ())):
        return False
    if "minKernel" in exc and kernel() >= _kernel(exc["minKernel"], "minKernel"):
        return False
    inc = rule.get("includes", {})
    if inc.get("arches") and arch not in inc["arches"]:
        return False
    if not all(c in caps for c in inc.get("caps", ())):
        return False
    return not ("minKernel" in inc and kernel() < _kernel(inc["minKernel"], "minKernel"))


def to_oci(profile: dict[str, Any], capabilities: Collection[str], arch: str | None = None,
           kernel: tuple[int, int] | None = None) -> dict[str, Any]:
    """The runtime spec's linux.seccomp for a container with these bounding capabilities."""
    try:
        checked = _normalise(profile)
    except _Bad as exc:
        raise SandboxUnavailable(f"seccomp profile: {exc}") from None
    native = native_arch() if arch is None else arch
    caps = {_cap_name(c) for c in capabilities}
    cache: list[tuple[int, int]] = []

    def kernel_version() -> tuple[int, int]:
        # Read the host's only when a rule asks: tests and other hosts' configs need no uname.
        if not cache:
            cache.append(kernel if kernel is not None else host_kernel())
        return cache[0]

    out: dict[str, Any] = {"defaultAction": checked["defaultAction"]}
    if "defaultErrnoRet" in checked:
        out["defaultErrnoRet"] = checked["defaultErrnoRet"]
    arches = list(checked.get("architectures", ()))
    wanted = _NATIVE_TO_SCMP.get(native)
    for entry in checked.get("archMap", ()):
        if wanted is not None and entry["architecture"] == wanted:
            arches = [entry["architecture"], *entry["subArchitectures"]]
            break
    if arches:
        out["architectures"] = arches
    if checked.get("flags"):
        out["flags"] = list(checked["flags"])
    kept = [{k: v for k, v in rule.items() if k not in ("includes", "excludes")}
            for rule in checked["syscalls"] if _keep(rule, native, caps, kernel_version)]
    if kept:
        out["syscalls"] = kept
    return out
