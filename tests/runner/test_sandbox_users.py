"""USER resolution through the image's own passwd and group files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pylint_image.linter.errors import SandboxError
from pylint_image.runner.sandbox import OverlayRoot
from pylint_image.runner.sandbox.users import ImageUser, read_image_file, resolve_user


@pytest.fixture
def image(tmp_path: Path) -> Path:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                             "app:x:1000:1000:app:/home/app:/bin/sh\n"
                                             "svc:x:1001:1001::/srv:/bin/false\n")
    (tmp_path / "etc" / "group").write_text("root:x:0:\napp:x:1000:\nsvc:x:1001:\n"
                                            "audio:x:29:app,svc\nstaff:x:50:app\n")
    return tmp_path


@pytest.mark.parametrize(("user", "expected"), [
    (None, ImageUser(0, 0, (0,), "/root")),
    ("app", ImageUser(1000, 1000, (29, 50, 1000), "/home/app")),
    ("1001", ImageUser(1001, 1001, (29, 1001), "/srv")),
    ("app:audio", ImageUser(1000, 29, (29, 50), "/home/app")),
    ("4242", ImageUser(4242, 0, (0,), "/")),
    ("4242:77", ImageUser(4242, 77, (77,), "/")),
])
def test_resolve_user_like_docker(image, user, expected):
    assert resolve_user(image, user) == expected


def test_unknown_names_are_errors(image):
    with pytest.raises(SandboxError, match="unable to find user nobody"):
        resolve_user(image, "nobody")
    with pytest.raises(SandboxError, match="unable to find group wheel"):
        resolve_user(image, "app:wheel")


def test_passwd_behind_an_escaping_symlink_stays_inside(tmp_path):
    (tmp_path / "etc").symlink_to("/etc")
    assert read_image_file(tmp_path, "/etc/passwd") is None


@pytest.mark.skipif(os.geteuid() != 0, reason="whiteout nodes need mknod")
def test_overlay_lookup_honours_whiteouts(image, tmp_path):
    top = tmp_path / "top"
    (top / "etc").mkdir(parents=True)
    os.mknod(top / "etc" / "group", stat.S_IFCHR, os.makedev(0, 0))
    root = OverlayRoot((top, image))
    assert read_image_file(root, "/etc/group") is None
    assert "app:x:1000" in read_image_file(root, "/etc/passwd")
