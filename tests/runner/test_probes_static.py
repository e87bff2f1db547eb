"""Static entrypoint probe, ELF parsing and in-image lookups on hand-made roots (no daemon, no sandbox)."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest

from pylint_image.runner.probes.elf import parse_elf, runs_on_host
from pylint_image.runner.probes.entrypoint import probe_entrypoint
from pylint_image.runner.probes.imagefs import lookup, which
from pylint_image.runner.sandbox import OverlayRoot

BUSYBOX = Path("/bin/busybox")


def elf_header(machine: int, bits: int = 64, interp: bytes | None = None) -> bytes:
    """A minimal little-endian ELF executable header with one optional PT_INTERP."""
    if bits == 64:
        head = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
        head += struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0, 64, 0, 0, 64, 56, 1 if interp else 0, 0, 0, 0)
        if interp:
            head += struct.pack("<IIQQQQQQ", 3, 4, 120, 0, 0, len(interp) + 1, len(interp) + 1, 1)
    else:
        head = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
        head += struct.pack("<HHIIIIIHHHHHH", 2, machine, 1, 0, 52, 0, 0, 52, 32, 1 if interp else 0, 0, 0, 0)
        if interp:
            head += struct.pack("<IIIIIIII", 3, 84, 0, 0, len(interp) + 1, len(interp) + 1, 4, 1)
    return head + (interp + b"\0" if interp else b"") + bytes(64)


def put(root: Path, path: str, data: bytes | str, mode: int = 0o755) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data.encode() if isinstance(data, str) else data)
    os.chmod(target, mode)
    return target


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    put(base, "/bin/sh", elf_header(62 if os.uname().machine == "x86_64" else 183))
    return base


def test_parse_elf_real_binaries():
    ls = parse_elf(Path("/bin/ls").read_bytes()[:65536])
    assert ls is not None and ls.interpreter and ls.interpreter.startswith("/lib")
    if BUSYBOX.exists():
        static = parse_elf(BUSYBOX.read_bytes()[:65536])
        assert static is not None and static.interpreter is None and runs_on_host(static)


def test_parse_elf_headers():
    info = parse_elf(elf_header(183, 64, b"/lib/ld-linux-aarch64.so.1"))
    assert (info.bits, info.machine_name, info.interpreter) == (64, "arm64", "/lib/ld-linux-aarch64.so.1")
    info32 = parse_elf(elf_header(3, 32, b"/lib/ld-linux.so.2"))
    assert (info32.bits, info32.machine, info32.interpreter) == (32, 3, "/lib/ld-linux.so.2")
    assert parse_elf(b"#!/bin/sh\n") is None and parse_elf(b"\x7fELF") is None
    assert runs_on_host(info32, host=62) and not runs_on_host(info, host=62)


def test_not_found_and_path_lookup(root):
    assert probe_entrypoint(root, ("/app/server",), {}).kind == "not-found"
    missing = probe_entrypoint(root, ("server",), {"PATH": "/usr/bin:/bin"})
    assert missing.kind == "not-found" and "/usr/bin:/bin" in missing.detail
    assert probe_entrypoint(root, ("sh", "-c", "x"), {"PATH": "/usr/bin:/bin"}) is None
    assert probe_entrypoint(root, (), {}).kind == "not-found"


def test_relative_argv0_is_resolved_from_workdir(root):
    put(root, "/app/run", "#!/bin/sh\n")
    assert probe_entrypoint(root, ("./run",), {}, "/app") is None
    assert probe_entrypoint(root, ("./run",), {}, "/").kind == "not-found"


def test_not_executable_and_directories(root):
    put(root, "/start.sh", "#!/bin/sh\n", 0o644)
    (root / "dir").mkdir()
    assert probe_entrypoint(root, ("/start.sh",), {}).kind == "not-executable"
    assert probe_entrypoint(root, ("/dir",), {}).kind == "not-executable"
    # PATH search prefers an executable candidate, but reports a non-executable one.
    put(root, "/usr/bin/tool", "#!/bin/sh\n", 0o644)
    assert probe_entrypoint(root, ("tool",), {"PATH": "/usr/bin"}).kind == "not-executable"


@pytest.mark.parametrize("script, fragment", [
    ("#!/bin/bash\necho\n", "/bin/bash"),
    ("#!/bin/sh\r\necho\r\n", "CRLF"),
    ("#!\n", "empty"),
    ("echo no shebang\n", "exec format error"),
])
def test_script_interpreters(root, script, fragment):
    put(root, "/start.sh", script)
    problem = probe_entrypoint(root, ("/start.sh",), {})
    assert problem.kind == "interpreter-missing" and fragment in problem.detail


def test_dynamic_elf_needs_its_loader(root):
    put(root, "/app", elf_header(62 if os.uname().machine == "x86_64" else 183, 64, b"/lib64/ld.so"))
    problem = probe_entrypoint(root, ("/app",), {})
    assert problem.kind == "interpreter-missing" and problem.path == "/lib64/ld.so"
    put(root, "/lib64/ld.so", elf_header(62 if os.uname().machine == "x86_64" else 183))
    assert probe_entrypoint(root, ("/app",), {}) is None


def test_wrong_architecture(root):
    put(root, "/app", elf_header(22))   # s390x
    problem = probe_entrypoint(root, ("/app",), {})
    assert problem.kind == "interpreter-missing" and "s390x" in problem.detail


def test_symlinks_resolve_inside_the_image(root):
    os.symlink("/bin/sh", root / "entry")          # absolute: relative to the image root
    (root / "usr").mkdir()
    os.symlink("../bin", root / "usr" / "lib")     # relative through a directory link
    os.symlink("/nowhere", root / "dangling")
    assert lookup(root, "/entry").path == "/bin/sh"
    assert lookup(root, "/usr/lib/sh").path == "/bin/sh"
    assert probe_entrypoint(root, ("/dangling",), {}).kind == "not-found"
    os.symlink("loop", root / "loop")
    assert lookup(root, "/loop") is None


def test_overlay_lowers_whiteouts_and_opaque_dirs(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    put(lower, "/bin/sh", elf_header(62))
    put(lower, "/opt/tool", "#!/bin/sh\n")
    put(lower, "/srv/old", "#!/bin/sh\n")
    put(upper, "/usr/bin/app", "#!/bin/sh\n")
    (upper / "srv").mkdir()
    overlay = OverlayRoot((upper, lower))
    assert which(overlay, "app", "/usr/bin").path == "/usr/bin/app"
    assert lookup(overlay, "/opt/tool") is not None
    if os.geteuid() == 0:
        os.mknod(upper / "opt", 0o020000 | 0o644, os.makedev(0, 0))   # whiteout of /opt
        assert lookup(overlay, "/opt/tool") is None
        os.setxattr(upper / "srv", "trusted.overlay.opaque", b"y")
        assert lookup(overlay, "/srv/old") is None


@pytest.mark.skipif(not BUSYBOX.exists(), reason="needs Debian's static busybox")
def test_real_static_and_dynamic_binaries(tmp_path):
    root = tmp_path / "r"
    (root / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    shutil.copy2("/bin/ls", root / "bin" / "ls")
    assert probe_entrypoint(root, ("/bin/busybox",), {}) is None
    assert probe_entrypoint(root, ("ls",), {}).kind == "interpreter-missing"
