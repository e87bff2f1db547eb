"""Hostile image files: what verify reads from an image (passwd, group, entrypoint heads) can never hang
it, make it read the host, or read without bound.  Every read runs in a thread with a join timeout,
so a regression shows as a failure, not as a hung test run.
"""

from __future__ import annotations

import os
import socket
import stat
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pylint_image.linter.errors import SandboxError
from pylint_image.runner.probes.entrypoint import probe_entrypoint
from pylint_image.runner.sandbox.paths import read_entry, read_image_bytes, resolve_in_image
from pylint_image.runner.sandbox.spec import OverlayRoot
from pylint_image.runner.sandbox.users import ImageUser, resolve_user

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="device nodes need root")
GIB = 2**30
MIB = 2**20
HOST_MACHINE = 62 if os.uname().machine == "x86_64" else 183


def bounded(call: Callable[..., Any], *args: Any, timeout: float = 10.0) -> Any:
    """Run ``call`` in a thread; fail when it does not return within ``timeout``."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call(*args)
        except BaseException as error:   # re-raised in the test's own thread
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"{getattr(call, '__name__', call)} hung on a hostile file"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def refused(call: Callable[..., Any], *args: Any, match: str, reason: str | None = None) -> SandboxError:
    with pytest.raises(SandboxError, match=match) as caught:
        bounded(call, *args)
    if reason is not None:
        assert getattr(caught.value, "reason", None) == reason
    assert "\n" not in str(caught.value)
    return caught.value


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    (base / "etc").mkdir(parents=True)
    (base / "bin").mkdir()
    (base / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n")
    (base / "etc" / "group").write_text("root:x:0:\naudio:x:29:app\n")
    sh = base / "bin" / "sh"
    sh.write_bytes(elf(b""))
    sh.chmod(0o755)
    return base


def elf(interp: bytes, interp_at: int | None = None, phentsize: int = 56) -> bytes:
    """A 64-bit ELF header for this host's CPU, with a PT_INTERP when ``interp`` is given."""
    head = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    head += struct.pack("<HHIQQQIHHHHHH", 2, HOST_MACHINE, 1, 0, 64, 0, 0, 64, phentsize, 1 if interp else 0, 0, 0, 0)
    if interp:
        head += struct.pack("<IIQQQQQQ", 3, 4, interp_at or 120, 0, 0, len(interp), len(interp), 1)
    return head + (interp if interp and interp_at is None else b"")


def replace(path: Path, make: Callable[[Path], object]) -> Path:
    path.unlink()
    make(path)
    return path


# --- passwd and group that are not regular files ---------------------------------------------

def test_fifo_passwd_is_refused(root):
    replace(root / "etc" / "passwd", os.mkfifo)
    refused(resolve_user, root, "app", match=r"/etc/passwd: not a regular file \(FIFO\)", reason="not-regular")


def test_fifo_group_is_refused_when_needed(root):
    replace(root / "etc" / "group", os.mkfifo)
    refused(resolve_user, root, "app:audio", match=r"/etc/group: not a regular file \(FIFO\)")


def test_fifo_group_is_refused_even_when_no_group_is_needed(root):
    """runc opens /etc/group whatever USER says: a FIFO there would block it, and us."""
    replace(root / "etc" / "group", os.mkfifo)
    refused(resolve_user, root, "4242:7", match="FIFO")


def test_directory_passwd_is_refused(root):
    replace(root / "etc" / "passwd", os.mkdir)
    refused(resolve_user, root, None, match=r"not a regular file \(directory\)")


def test_socket_passwd_is_refused(root):
    server = socket.socket(socket.AF_UNIX)
    try:
        replace(root / "etc" / "passwd", lambda path: server.bind(str(path)))
        refused(resolve_user, root, None, match=r"not a regular file \(socket\)")
    finally:
        server.close()


@ROOT_ONLY
@pytest.mark.parametrize("kind, device, name", [
    (stat.S_IFCHR, (1, 5), "character device"), (stat.S_IFBLK, (7, 0), "block device")])
def test_device_passwd_is_refused(root, kind, device, name):
    replace(root / "etc" / "passwd", lambda path: os.mknod(path, kind | 0o644, os.makedev(*device)))
    refused(resolve_user, root, None, match=rf"not a regular file \({name}\)")


# --- links that point elsewhere ----------------------------------------------------------------

def test_link_to_dev_zero_without_the_node_is_absent(root):
    replace(root / "etc" / "passwd", lambda path: path.symlink_to("/dev/zero"))
    assert bounded(read_image_bytes, root, "/etc/passwd", MIB) is None
    assert bounded(resolve_user, root, None) == ImageUser(0, 0, (0,), "/")


@ROOT_ONLY
def test_link_to_dev_zero_with_the_node_says_where_it_led(root):
    (root / "dev").mkdir()
    os.mknod(root / "dev" / "zero", stat.S_IFCHR | 0o666, os.makedev(1, 5))
    replace(root / "etc" / "passwd", lambda path: path.symlink_to("/dev/zero"))
    refused(resolve_user, root, None, match=r"^/etc/passwd -> /dev/zero: not a regular file \(character device\)$")


@pytest.mark.parametrize("target", ["absolute", "../../../../../../host/passwd"])
def test_link_to_a_host_file_stays_in_the_image(root, tmp_path, target):
    host = tmp_path / "host"
    host.mkdir()
    (host / "passwd").write_text("evil:x:0:0::/:/bin/sh\n")
    link = str(host / "passwd") if target == "absolute" else target
    replace(root / "etc" / "passwd", lambda path: path.symlink_to(link))
    assert bounded(read_image_bytes, root, "/etc/passwd", MIB) is None
    refused(resolve_user, root, "evil", match="unable to find user evil")


@pytest.mark.parametrize("links", [{"passwd": "passwd"}, {"passwd": "a", "a": "/etc/passwd"}])
def test_link_loops_are_refused(root, links):
    (root / "etc" / "passwd").unlink()
    for name, target in links.items():
        (root / "etc" / name).symlink_to(target)
    refused(resolve_user, root, None, match="too many levels of symbolic links", reason="loop")


def test_link_chains_stop_after_40_links(root):
    (root / "data").mkdir()
    (root / "data" / "end").write_text("app:x:7:7::/:/bin/sh\n")
    for count, expect in ((40, b"app:x:7"), (41, None)):
        chain = root / f"chain{count}"
        chain.mkdir()
        for index in range(count):
            (chain / f"l{index}").symlink_to(f"l{index + 1}" if index + 1 < count else "/data/end")
        if expect is None:
            refused(read_image_bytes, root, f"/chain{count}/l0", MIB, match="too many levels", reason="loop")
        else:
            assert bounded(read_image_bytes, root, f"/chain{count}/l0", MIB).startswith(expect)


def test_over_long_paths_are_refused(root):
    refused(resolve_in_image, root, "/" + "a" * 4095, match="4096 bytes or more")
    assert bounded(resolve_in_image, root, "/" + "a/" * 2046 + "b") is None   # 4095 bytes: just absent


def test_links_fanning_out_into_many_steps_are_refused(root):
    """Five links of 2,000 "./" each stay under 40 links but walk over 8192 components."""
    (root / "fan").mkdir()
    for index in range(5):
        (root / "fan" / f"f{index}").symlink_to("./" * 2000 + (f"f{index + 1}" if index < 4 else "/etc/passwd"))
    refused(resolve_in_image, root, "/fan/f0", match="too many path components", reason="loop")


# --- sizes -------------------------------------------------------------------------------------

def test_sparse_10_gib_passwd_is_refused_without_reading_it(root):
    with open(root / "etc" / "passwd", "r+b") as handle:
        handle.truncate(10 * GIB)
    began = time.monotonic()
    refused(resolve_user, root, None, match=r"10\.0 GiB, over the 10\.0 MiB cap", reason="too-large")
    assert time.monotonic() - began < 2


def test_five_mib_passwd_line_is_refused(root):
    (root / "etc" / "passwd").write_bytes(b"app:x:1:1::/" + b"h" * (5 * MIB) + b":/bin/sh\n")
    refused(resolve_user, root, "app", match="bufio.Scanner: token too long")


def test_passwd_line_limit_is_runcs(root):
    line = b"app:x:1:1::/:/bin/sh"
    (root / "etc" / "passwd").write_bytes(line + b"#" * (65535 - len(line)) + b"\n")
    assert bounded(resolve_user, root, "app").uid == 1
    (root / "etc" / "passwd").write_bytes(line + b"#" * (65536 - len(line)) + b"\n")
    refused(resolve_user, root, "app", match="token too long")


def test_group_lines_on_both_sides_of_one_mib(root):
    head = b"big:x:77:app,"
    (root / "etc" / "group").write_bytes(head + b"x" * (MIB - len(head)) + b"\n")
    assert bounded(resolve_user, root, "app").groups == (1000, 77)
    (root / "etc" / "group").write_bytes(head + b"x" * (MIB + 1 - len(head)) + b"\n")
    refused(resolve_user, root, "app", match="/etc/group: a line of 1048577 bytes")


# --- overlay and races -------------------------------------------------------------------------

def test_lower_etc_linked_to_a_host_directory_is_never_read(tmp_path):
    """The escape of the old reader: a lower /etc symlink to a host directory under an upper /etc."""
    host = tmp_path / "host-etc"
    host.mkdir()
    (host / "passwd").write_text("evil:x:0:0::/:/bin/sh\n")
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    lower.mkdir()
    (lower / "etc").symlink_to(host)
    (upper / "etc").mkdir(parents=True)
    (upper / "etc" / "hostname").write_text("x\n")
    root = OverlayRoot((upper, lower))
    assert bounded(read_image_bytes, root, "/etc/passwd", MIB) is None
    refused(resolve_user, root, "evil", match="unable to find user evil")


@pytest.mark.parametrize("swap", ["fifo", "link", "dir-link"])
def test_a_file_swapped_after_lookup_is_not_opened(root, tmp_path, swap):
    entry = resolve_in_image(root, "/etc/passwd")
    (tmp_path / "host").mkdir()
    (tmp_path / "host" / "passwd").write_text("evil:x:0:0::/:/bin/sh\n")
    if swap == "fifo":
        replace(root / "etc" / "passwd", os.mkfifo)
        refused(read_entry, entry, MIB, match=r"not a regular file \(FIFO\)", reason="not-regular")
    elif swap == "link":
        replace(root / "etc" / "passwd", lambda path: path.symlink_to(tmp_path / "host" / "passwd"))
        refused(read_entry, entry, MIB, match=r"not a regular file \(symbolic link\)", reason="not-regular")
    else:
        (root / "etc").rename(root / "etc.old")
        (root / "etc").symlink_to(tmp_path / "host")
        refused(read_entry, entry, MIB, match="/etc/passwd", reason="unreadable")
    assert bounded(entry.head) == b""


# --- the entrypoint probe ----------------------------------------------------------------------

def put(root: Path, path: str, data: bytes, mode: int = 0o755) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    target.chmod(mode)
    return target


def test_fifo_entrypoint_and_interpreter(root):
    os.mkfifo(root / "app", 0o755)
    problem = bounded(probe_entrypoint, root, ("/app",), {})
    assert problem.kind == "not-executable" and "not a regular file" in problem.detail
    os.mkfifo(root / "bin" / "fifo-sh", 0o755)
    put(root, "/start.sh", b"#!/bin/fifo-sh\n")
    problem = bounded(probe_entrypoint, root, ("/start.sh",), {})
    assert problem.kind == "interpreter-missing" and problem.path == "/bin/fifo-sh"
    # Through PATH, a FIFO is reported as what it is, not as missing.
    os.mkfifo(root / "bin" / "tool", 0o755)
    problem = bounded(probe_entrypoint, root, ("tool",), {"PATH": "/usr/bin:/bin"})
    assert problem.kind == "not-executable" and "not a regular file" in problem.detail


@ROOT_ONLY
def test_device_entrypoint(root):
    os.mknod(root / "app", stat.S_IFCHR | 0o755, os.makedev(1, 5))
    problem = bounded(probe_entrypoint, root, ("/app",), {})
    assert problem.kind == "not-executable" and "not a regular file" in problem.detail


def test_sparse_entrypoint_with_its_loader_far_into_the_file(root):
    far = 9 * GIB
    app = put(root, "/app", elf(b"/lib/ld.so\0", interp_at=far))
    with open(app, "r+b") as handle:
        handle.seek(far)
        handle.write(b"/lib/ld.so\0")
    problem = bounded(probe_entrypoint, root, ("/app",), {})
    assert problem.kind == "interpreter-missing" and problem.path == "/lib/ld.so"
    put(root, "/lib/ld.so", elf(b""))
    assert bounded(probe_entrypoint, root, ("/app",), {}) is None
    zeros = put(root, "/zeros", b"")
    with open(zeros, "r+b") as handle:
        handle.truncate(10 * GIB)
    assert "exec format error" in bounded(probe_entrypoint, root, ("/zeros",), {}).detail


def test_malformed_pt_interp_is_exec_format_error(root):
    put(root, "/long", elf(b"/" + b"l" * 5000 + b"\0"))
    put(root, "/unterminated", elf(b"/lib/ld.so"))
    put(root, "/phentsize", elf(b"/lib/ld.so\0", phentsize=48))
    for name in ("/long", "/unterminated", "/phentsize"):
        problem = bounded(probe_entrypoint, root, (name,), {})
        assert "malformed ELF" in problem.detail, name


@pytest.mark.parametrize("script, verdict", [
    (b"#!/bin/sh", None),                                     # no newline, short file: fine
    (b"#!/bin/sh\0 ignored after a NUL\n", None),
    (b"#!/bin/nope " + b"a" * 300 + b"\n", "no executable"),  # the name ends in the buffer
    (b"#!/bin/" + b"s" * 300 + b"\n", "first 256 bytes"),     # its newline is past the buffer
    (b"#!/bin/" + b"s" * 300, "first 256 bytes"),
    (b"#!" + b" " * 254 + b"/bin/sh\n", "first 256 bytes"),   # the name starts past the buffer
    (b"#!\n", "empty #! line"),
])
def test_shebang_lines_are_read_as_the_kernel_reads_them(root, script, verdict):
    put(root, "/start.sh", script)
    problem = bounded(probe_entrypoint, root, ("/start.sh",), {})
    if verdict is None:
        assert problem is None
    else:
        assert problem.kind == "interpreter-missing" and verdict in problem.detail


def test_image_bytes_are_escaped_in_messages(root):
    put(root, "/start.sh", b"#!/bin/\x1b]0;pwned\x07sh \x9b2J\xff\n")
    problem = bounded(probe_entrypoint, root, ("/start.sh",), {})
    assert "\\x1b" in problem.detail and "\\xff" in problem.detail
    assert not any(ord(ch) < 0x20 or 0x7f <= ord(ch) < 0xa0 for ch in problem.detail + problem.path)
    ghost = bounded(probe_entrypoint, root, ("/\x1b[2Jghost",), {})
    assert ghost.kind == "not-found" and "\x1b" not in ghost.detail + ghost.path
    os.symlink("/\x1b[31mred", root / "bin" / "red")
    os.mkfifo(root / "\x1b[31mred", 0o755)
    red = bounded(probe_entrypoint, root, ("/bin/red",), {})
    assert red.detail.startswith("/bin/red -> /\\x1b[31mred") and "\x1b" not in red.detail
