"""USER resolution through the image's own passwd and group files, as Docker 20.10.24 + runc 1.1.5 do it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pylint_image.linter.errors import SandboxError
from pylint_image.runner.sandbox.spec import OverlayRoot
from pylint_image.runner.sandbox.users import ImageUser, atoi, read_image_file, resolve_user

PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "app:x:1000:1000:app:/home/app:/bin/sh\n"
          "svc:x:1001:1001::/srv:/bin/false\n"
          "nohome:x:1002:1002::\n"
          "1000:x:5:5::/numeric-name:/bin/sh\n")
GROUP = "root:x:0:\napp:x:1000:\nsvc:x:1001:\naudio:x:29:app,svc\n#staff:x:49:app\nstaff:x:50:app\n"


def make_root(base: Path, passwd: str | None = PASSWD, group: str | None = GROUP) -> Path:
    (base / "etc").mkdir(parents=True)
    if passwd is not None:
        (base / "etc" / "passwd").write_text(passwd)
    if group is not None:
        (base / "etc" / "group").write_text(group)
    return base


@pytest.fixture
def image(tmp_path: Path) -> Path:
    return make_root(tmp_path / "image")


@pytest.mark.parametrize(("user", "expected"), [
    (None, ImageUser(0, 0, (0,), "/root")),
    ("", ImageUser(0, 0, (0,), "/root")),
    ("root", ImageUser(0, 0, (0,), "/root")),
    # The gid first, then every group listing the user (a "#" line in group is a comment).
    ("app", ImageUser(1000, 1000, (1000, 29, 50), "/home/app")),
    # A number is always a uid, never a name: "1000" is app, not the user named "1000".
    ("1000", ImageUser(1000, 1000, (1000, 29, 50), "/home/app")),
    ("1001", ImageUser(1001, 1001, (1001, 29), "/srv")),
    # An explicit group drops the memberships.
    ("app:audio", ImageUser(1000, 29, (29,), "/home/app")),
    ("app:0", ImageUser(1000, 0, (0,), "/home/app")),
    # A uid without an entry: gid 0 unless a group is given, HOME "/".
    ("4242", ImageUser(4242, 0, (0,), "/")),
    ("4242:77", ImageUser(4242, 77, (77,), "/")),
    ("4242:audio", ImageUser(4242, 29, (29,), "/")),
    ("2147483647", ImageUser(2147483647, 0, (0,), "/")),
    # An entry without a home directory: HOME is empty, as under Docker.
    ("nohome", ImageUser(1002, 1002, (1002,), "")),
])
def test_resolve_user_like_docker(image, user, expected):
    assert resolve_user(image, user) == expected


@pytest.mark.parametrize(("user", "message"), [
    ("nobody", "unable to find user nobody: no matching entries in passwd file"),
    ("app:wheel", "unable to find group wheel: no matching entries in group file"),
    ("99999999999999999999", "unable to find user 99999999999999999999: no matching entries"),
    ("2147483648", "uids and gids must be in range 0-2147483647"),
    ("-1", "uids and gids must be in range 0-2147483647"),
    ("app:4294967296", "uids and gids must be in range 0-2147483647"),
])
def test_refused_users_say_what_docker_says(image, user, message):
    with pytest.raises(SandboxError, match=message):
        resolve_user(image, user)


def test_empty_user_without_passwd_is_root(tmp_path):
    """Issue 9: a scratch image with no USER runs as 0:0 (it has no /etc/passwd)."""
    assert resolve_user(tmp_path, None) == ImageUser(0, 0, (0,), "/")
    assert resolve_user(tmp_path, "1234:5") == ImageUser(1234, 5, (5,), "/")
    with pytest.raises(SandboxError, match="unable to find user app"):
        resolve_user(tmp_path, "app")


def test_runc_quirks(tmp_path):
    """passwd has no comments, unparsable numbers read as 0, ids wrap through uint32 as under Docker."""
    root = make_root(tmp_path / "r", "# a comment\nroot:x:0:0:root:/root:/bin/sh\n"
                     "app:x:10x0:1000:app:/home/app:/bin/sh\nwrap:x:4294967296:4294967297::/w:/bin/sh\n"
                     "neg:x:-1:0::/n:/bin/sh\n")
    # The comment line is the first uid-0 entry: no home.
    assert resolve_user(root, None) == ImageUser(0, 0, (0,), "")
    assert resolve_user(root, "app").uid == 0
    # 4294967296 is root once Docker converts it; runc then takes HOME from the first uid-0 entry.
    assert resolve_user(root, "wrap") == ImageUser(0, 1, (1,), "")
    with pytest.raises(SandboxError, match="must be in range"):
        resolve_user(root, "neg")   # 4294967295 to runc, which has no entry for it


def test_go_atoi():
    assert atoi(b"42") == (42, True) and atoi(b"+7") == (7, True) and atoi(b"-3") == (-3, True)
    assert atoi(b"1_000") == (0, False) and atoi(b" 1") == (0, False) and atoi(b"") == (0, False)
    assert atoi(b"99999999999999999999") == (2**63 - 1, False)
    assert atoi("١".encode()) == (0, False)   # only ASCII digits


def test_crlf_and_blank_lines(tmp_path):
    root = make_root(tmp_path / "r", "\r\n  \nroot:x:0:0::/root:/bin/sh\r\napp:x:7:8::/a:/bin/sh\r\n",
                     "g:x:9:app\r\n")
    assert resolve_user(root, "app") == ImageUser(7, 8, (8, 9), "/a")


def test_passwd_behind_an_escaping_symlink_stays_inside(tmp_path):
    host = tmp_path / "host"
    host.mkdir()
    (host / "passwd").write_text("evil:x:0:0::/:/bin/sh\n")
    root = tmp_path / "root"
    root.mkdir()
    (root / "etc").symlink_to(host)
    assert read_image_file(root, "/etc/passwd") is None
    with pytest.raises(SandboxError, match="unable to find user evil"):
        resolve_user(root, "evil")


def test_symlinked_passwd_resolves_inside_the_image(tmp_path):
    root = make_root(tmp_path / "r", None)
    (root / "data").mkdir()
    (root / "data" / "passwd").write_text("app:x:3:4::/d:/bin/sh\n")
    (root / "etc" / "passwd").symlink_to("../../../data/passwd")
    assert resolve_user(root, "app") == ImageUser(3, 4, (4, 29, 50), "/d")


@pytest.mark.skipif(os.geteuid() != 0, reason="whiteout nodes need mknod")
def test_overlay_whiteouts(image, tmp_path):
    top = tmp_path / "top"
    (top / "etc").mkdir(parents=True)
    os.mknod(top / "etc" / "group", stat.S_IFCHR, os.makedev(0, 0))
    root = OverlayRoot((top, image))
    assert read_image_file(root, "/etc/group") is None
    assert b"app:x:1000" in read_image_file(root, "/etc/passwd")
    assert resolve_user(root, "app") == ImageUser(1000, 1000, (1000,), "/home/app")


@pytest.mark.skipif(os.geteuid() != 0, reason="trusted xattrs need root")
def test_overlay_opaque_etc_hides_lower_files(image, tmp_path):
    top = make_root(tmp_path / "top", "app:x:5:5::/top:/bin/sh\n", None)
    os.setxattr(top / "etc", "trusted.overlay.opaque", b"y")
    root = OverlayRoot((top, image))
    assert read_image_file(root, "/etc/group") is None
    assert resolve_user(root, "app") == ImageUser(5, 5, (5,), "/top")


def test_overlay_upper_files_win(image, tmp_path):
    top = make_root(tmp_path / "top", "app:x:5:6::/top:/bin/sh\n", None)
    root = OverlayRoot((top, image))
    assert resolve_user(root, "app") == ImageUser(5, 6, (6, 29, 50), "/top")   # group from the lower layer


def test_overlay_lower_etc_link_never_merges_under_an_upper_dir(tmp_path):
    """A lower /etc that is a symlink is hidden by the upper /etc directory, never merged with it."""
    lower = tmp_path / "lower"
    (lower / "real").mkdir(parents=True)
    (lower / "real" / "passwd").write_text("evil:x:0:0::/:/bin/sh\n")
    (lower / "etc").symlink_to("real")
    top = make_root(tmp_path / "top", None, "g:x:1:\n")
    root = OverlayRoot((top, lower))
    assert read_image_file(root, "/etc/passwd") is None
    with pytest.raises(SandboxError, match="unable to find user evil"):
        resolve_user(root, "evil")
