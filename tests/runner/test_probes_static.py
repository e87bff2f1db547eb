"""Static entrypoint probe, ELF parsing and in-image lookups on hand-made roots (no daemon, no sandbox)."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest

from pylint_image.runner.probes.elf import parse_elf, runs_on_host
from pylint_image.runner.probes.entrypoint import probe_entrypoint
from pylint_image.runner.probes import imagefs
from pylint_image.runner.probes.entrypoint import Shebang, parse_shebang
from pylint_image.runner.probes.imagefs import lookup, which
from pylint_image.runner.sandbox.paths import ImageFileError
from pylint_image.runner.sandbox.spec import OverlayRoot

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
    with pytest.raises(ImageFileError, match="too many levels of symbolic links") as caught:
        lookup(root, "/loop")
    assert caught.value.reason == "loop"
    problem = probe_entrypoint(root, ("/loop",), {})
    assert problem.kind == "not-found" and "too many levels" in problem.detail
    # A PATH search steps over a looping candidate, as runc's does.
    (root / "usr" / "bin").mkdir()
    os.symlink("sh", root / "usr" / "bin" / "sh")
    assert which(root, "sh", "/usr/bin:/bin").path == "/bin/sh"


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


@pytest.mark.parametrize("head, expected", [
    (b"#!/bin/sh\n", Shebang(b"/bin/sh", None)),
    (b"#!  /bin/sh  -e -x  \n", Shebang(b"/bin/sh", b"-e -x")),
    (b"#!/bin/sh\r\n", Shebang(b"/bin/sh\r", None)),          # a CR stays in the name
    (b"#!/bin/sh", Shebang(b"/bin/sh", None)),                   # the kernel zero-fills a short file
    (b"#!/bin/sh\0-x\n", Shebang(b"/bin/sh", None)),            # the name ends at a NUL
    (b"#!\t/usr/bin/env\tpython3\n", Shebang(b"/usr/bin/env", b"python3")),
    (b"#!/x" + b"y" * 300, "first 256 bytes"),                   # the name may have been cut
    (b"#!/x " + b"y" * 300, Shebang(b"/x", b"y" * 250)),         # the argument may be cut
    (b"#!" + b" " * 300, "first 256 bytes"),
    (b"#!\n", "empty"),
    (b"#!   \n", "empty"),
])
def test_shebang_is_split_as_the_kernel_does(head, expected):
    found = parse_shebang(head)
    if isinstance(expected, str):
        assert isinstance(found, str) and expected in found
    else:
        assert found == expected


def test_shebang_name_must_end_within_256_bytes():
    name = b"/" + b"n" * 252                          # "#!" + 253 bytes: index 255 is left
    assert parse_shebang(b"#!" + name + b" " + b"a" * 40) == Shebang(name, None)
    assert isinstance(parse_shebang(b"#!" + name + b"n" + b" " * 40), str)
    assert parse_shebang(b"#!" + name + b"\n") == Shebang(name, None)


def elf_with(phentsize: int = 56, interp: bytes = b"/ld.so\0", interp_at: int = 120,
             filesz: int | None = None) -> bytes:
    """A 64-bit ELF header with one PT_INTERP at ``interp_at`` (the bytes follow when it is 120)."""
    head = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    head += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 64, 0, 0, 64, phentsize, 1, 0, 0, 0)
    size = len(interp) if filesz is None else filesz
    head += struct.pack("<IIQQQQQQ", 3, 4, interp_at, 0, 0, size, size, 1)
    return head + (interp if interp_at == 120 else b"")


def test_parse_elf_refuses_what_the_kernel_refuses():
    assert parse_elf(elf_with()).interpreter == "/ld.so"
    assert parse_elf(elf_with(phentsize=64)) is None                   # wrong program-header size
    assert parse_elf(elf_with(interp=b"/ld.so")) is None                # not NUL-terminated
    assert parse_elf(elf_with(interp=b"/" + b"l" * 4095 + b"\0")) is None   # over 4096 bytes
    assert parse_elf(elf_with(interp=b"/" + b"l" * 4094 + b"\0")).interpreter.startswith("/lll")
    assert parse_elf(elf_with(interp=b"\0", filesz=1)) is None          # under 2 bytes
    assert parse_elf(elf_with(interp_at=10**6)) is None                # beyond the bytes it was given


def test_parse_elf_reads_pt_interp_wherever_it_sits():
    far = 3 * 2**30
    data = elf_with(interp_at=far, filesz=8)
    reads = []

    def read_at(offset: int, size: int) -> bytes:
        reads.append((offset, size))
        return b"/ld64.so\0"[:size] if offset == far else b""

    assert parse_elf(data, read_at) is None                     # 8 bytes: "/ld64.so" has no NUL
    assert parse_elf(elf_with(interp_at=far, filesz=9), read_at).interpreter == "/ld64.so"
    assert (far, 9) in reads


def test_path_search_is_bounded_and_skips_repeats(root, monkeypatch):
    looked = []
    real = imagefs.resolve_in_image
    monkeypatch.setattr(imagefs, "resolve_in_image", lambda *a: looked.append(a[1]) or real(*a))
    assert which(root, "sh", "/x:/x:/y:/x:/bin").path == "/bin/sh"
    assert looked == ["/x/sh", "/y/sh", "/bin/sh"]
    far = "/x:" * (imagefs.PATH_SCAN // 3 + 1) + "/bin"
    looked.clear()
    assert which(root, "sh", far) is None and len(looked) == 1
    assert which(root, "sh", "/x:" * 1000 + "/bin").path == "/bin/sh"


# --- #!/usr/bin/env X: X must be on the PATH env searches ------------------------------------

from pylint_image.runner.probes.entrypoint import EXECVP_DEFAULT_PATH, EnvCommand, env_command  # noqa: E402

HOST_ELF = 62 if os.uname().machine == "x86_64" else 183


@pytest.fixture
def env_root(root: Path) -> Path:
    put(root, "/usr/bin/env", elf_header(HOST_ELF))
    return root


@pytest.mark.parametrize("line", ["#!/usr/bin/env python3", "#!/usr/bin/env -S python3 -u",
                                  "#!/usr/bin/env -S PATH=/usr/bin:/bin python3", "#!/usr/bin/env -vS python3",
                                  "#!/usr/bin/env --split-string=python3 -u"])
def test_env_interpreter_missing_names_it(env_root, line):
    put(env_root, "/app.py", line + "\nprint(1)\n")
    problem = probe_entrypoint(env_root, ("/app.py",), {})
    assert problem.kind == "interpreter-missing" and problem.path == "python3", problem
    assert "no executable python3 in PATH" in problem.detail


def test_env_interpreter_found_on_the_image_path_or_docker_default(env_root):
    put(env_root, "/app.py", "#!/usr/bin/env python3\n")
    put(env_root, "/usr/local/bin/python3", elf_header(HOST_ELF))
    assert probe_entrypoint(env_root, ("/app.py",), {}) is None   # Docker's default PATH has /usr/local/bin
    problem = probe_entrypoint(env_root, ("/app.py",), {"PATH": "/usr/bin:/bin"})
    assert problem.path == "python3" and "(/usr/bin:/bin)" in problem.detail
    assert probe_entrypoint(env_root, ("/app.py",), {"PATH": "/opt:/usr/local/bin"}) is None


def test_env_interpreter_is_checked_in_turn(env_root):
    put(env_root, "/app.py", "#!/usr/bin/env node\n")
    put(env_root, "/usr/bin/node", elf_header(HOST_ELF, 64, b"/lib64/ld-linux-x86-64.so.2"))
    problem = probe_entrypoint(env_root, ("/app.py",), {})
    assert problem.kind == "interpreter-missing" and problem.path == "/lib64/ld-linux-x86-64.so.2"
    put(env_root, "/usr/bin/node", "#!/bin/sh\n", 0o644)   # there, but not executable
    assert probe_entrypoint(env_root, ("/app.py",), {}).path == "node"


def test_env_itself_missing_is_reported_first(root):
    put(root, "/app.py", "#!/usr/bin/env python3\n")
    assert probe_entrypoint(root, ("/app.py",), {}).path == "/usr/bin/env"


def test_env_argument_pitfalls_are_explained(env_root):
    put(env_root, "/usr/bin/python3", elf_header(HOST_ELF))
    put(env_root, "/a.py", "#!/usr/bin/env python3 -u\n")
    problem = probe_entrypoint(env_root, ("/a.py",), {})
    assert problem.path == "python3 -u" and "-S python3 -u" in problem.detail
    put(env_root, "/b.py", "#!/usr/bin/env python3\r\n")
    problem = probe_entrypoint(env_root, ("/b.py",), {})
    assert problem.path == "python3" and "CRLF" in problem.detail
    put(env_root, "/c.py", "#!/usr/bin/env -S python3 -u\n")
    assert probe_entrypoint(env_root, ("/c.py",), {}) is None


@pytest.mark.parametrize("args, expected", [
    (["python3"], EnvCommand("python3", "/p", "/")),
    (["-S python3 -u"], EnvCommand("python3", "/p", "/")),
    (["-S PATH=/opt/bin ruby -w"], EnvCommand("ruby", "/opt/bin", "/")),
    (["-i", "python3"], EnvCommand("python3", EXECVP_DEFAULT_PATH, "/")),
    (["-u", "PATH", "node"], EnvCommand("node", EXECVP_DEFAULT_PATH, "/")),
    (["--unset=PATH", "node"], EnvCommand("node", EXECVP_DEFAULT_PATH, "/")),
    (["-u", "HOME", "--", "node"], EnvCommand("node", "/p", "/")),
    (["--chdir=/srv", "./run"], EnvCommand("./run", "/p", "/srv")),
    (["-C", "srv", "./run"], EnvCommand("./run", "/p", "/app/srv")),
    (["--default-signal=PIPE", "-0", "node"], EnvCommand("node", "/p", "/")),
    (["A=1", "PATH=/x", "node"], EnvCommand("node", "/x", "/")),
    ([], None), (["A=1"], None), (["--bogus", "node"], None), (["-i python3"], None), (["-u"], None),
])
def test_env_arguments_parse_as_gnu_env(args, expected):
    cwd = "/app" if args[:1] == ["-C"] else "/"
    assert env_command(args, "/p", cwd) == expected
