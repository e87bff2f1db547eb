"""Find and read files of an untrusted image root as its own kernel would, without trusting a byte of it.

``resolve_in_image`` looks a path up in a rootfs directory or in overlay lowers: symlinks
resolve inside the image (``..`` stops at its root, an absolute target restarts there),
whiteouts delete, opaque directories hide lower layers, and a non-directory never merges
under a directory of a higher layer.  ``read_entry`` then opens what was found by walking
down from its layer with ``O_NOFOLLOW`` on every component and reads it only when the
descriptor is a regular file, so a FIFO, a device or a link swapped in since the lookup is
never opened for reading, and never more than a caller's cap is read.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from collections import deque
from pathlib import Path, PurePosixPath

from pylint_image.linter.errors import SandboxError
from pylint_image.linter.formatters.base import escape_control
from pylint_image.linter.model.frozen import frozen

from .spec import OverlayRoot

PATH_MAX = 4096          # the kernel refuses a path of this many bytes or more (ENAMETOOLONG)
_MAX_LINKS = 40          # the kernel's own ELOOP bound
_MAX_STEPS = 8192        # components walked in one lookup: links fanning out cannot make it spin
_CHUNK = 1 << 20
_OPAQUE_XATTR = "trusted.overlay.opaque"
_PATH_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK
_KINDS = {stat.S_IFDIR: "directory", stat.S_IFCHR: "character device", stat.S_IFBLK: "block device",
          stat.S_IFIFO: "FIFO", stat.S_IFSOCK: "socket", stat.S_IFLNK: "symbolic link"}


class ImageFileError(SandboxError):
    """An image file that cannot be read safely; ``reason``: not-regular, too-large, loop or unreadable."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return type(self), (self.message, self.reason)


def show(text: str | bytes) -> str:
    """``text`` from an image, fit for a message: undecodable bytes and control characters escaped."""
    raw = text if isinstance(text, bytes) else os.fsencode(text)
    return escape_control(raw.decode("utf-8", "backslashreplace"), keep="")


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    value = float(count)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024:
            break
    return f"{value:.1f} {unit}"


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), f"file type {stat.S_IFMT(mode):o}")


@frozen
class ImageEntry:
    """A path found in the image: what it is, and the layer whose bytes the container would see."""

    path: str          # in-image path after following every symlink
    host_path: Path    # ``layer`` joined with ``path``
    mode: int
    layer: Path
    size: int = 0
    requested: str = ""   # the path asked for, for messages ("/etc/passwd -> /dev/zero")

    @property
    def is_file(self) -> bool:
        """True for a regular file."""
        return stat.S_ISREG(self.mode)

    @property
    def executable(self) -> bool:
        """True when any execute bit is set (the kernel's first check for execve)."""
        return bool(self.mode & 0o111)

    @property
    def label(self) -> str:
        """The path for a message: where it was asked for, and where its links led."""
        asked = self.requested or self.path
        if posixpath.normpath(asked) == self.path:
            return show(self.path)
        return f"{show(asked)} -> {show(self.path)}"

    def head(self, size: int = 65536, offset: int = 0) -> bytes:
        """Up to ``size`` bytes from ``offset`` (empty when not a readable regular file)."""
        try:
            return read_entry(self, size, offset=offset, whole=False)
        except (SandboxError, OSError, ValueError, OverflowError):
            return b""


def _layers(root: Path | OverlayRoot) -> tuple[Path, ...]:
    return tuple(root.lower) if isinstance(root, OverlayRoot) else (Path(root),)


def _opaque(path: Path) -> bool:
    try:
        return os.getxattr(path, _OPAQUE_XATTR, follow_symlinks=False) == b"y"
    except OSError:
        return False


def _whiteout(info: os.stat_result) -> bool:
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == 0


def _merged(dirs: list[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    """The directories that show through the topmost one: down to the first opaque one."""
    for index, (_, directory) in enumerate(dirs):
        if _opaque(directory):
            return dirs[:index + 1]
    return dirs


_Found = tuple[Path, Path, os.stat_result, list[tuple[Path, Path]]]


def _child(dirs: list[tuple[Path, Path]], name: str, wanted: str) -> _Found | None:
    """The topmost entry ``name`` of a merged directory, and the directories merged under it."""
    first: tuple[Path, Path, os.stat_result] | None = None
    merged: list[tuple[Path, Path]] = []
    for layer, directory in dirs:
        candidate = directory / name
        try:
            info = os.lstat(candidate)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as error:
            if error.errno == errno.ENAMETOOLONG:   # a name over 255 bytes: the kernel's ENAMETOOLONG
                return None
            raise ImageFileError(f"{show(wanted)}: {error.strerror}", "unreadable") from None
        if _whiteout(info):
            break
        first = first or (layer, candidate, info)
        # Overlayfs merges only directory under directory: anything else ends the stack.
        if not stat.S_ISDIR(info.st_mode):
            break
        merged.append((layer, candidate))
    if first is None:
        return None
    return (*first, _merged(merged))


def _parts(text: str) -> list[str]:
    return [part for part in text.split("/") if part]


def _too_long(path: str) -> None:
    if len(os.fsencode(path)) >= PATH_MAX:
        raise ImageFileError(f"{show(path[:60])}…: a path of {PATH_MAX} bytes or more "
                             "(the kernel refuses it: file name too long)", "too-large")


def resolve_in_image(root: Path | OverlayRoot, path: str, cwd: str = "/") -> ImageEntry | None:
    """Find ``path`` (relative to ``cwd``) in the image as its kernel would; None when absent."""
    _too_long(path)
    if "\0" in path:
        return None
    layers = _layers(root)
    wanted = posixpath.join("/", cwd or "/", path)   # an absolute path ignores cwd
    top = _merged([(layer, layer) for layer in layers])
    pending = deque(_parts(wanted))
    stack: list[_Found] = []   # the resolved components, each with the directories merged under it
    links = steps = 0
    while pending:
        steps += 1
        if steps > _MAX_STEPS:
            raise ImageFileError(f"{show(wanted)}: too many path components through symlinks", "loop")
        part = pending.popleft()
        if part == ".":
            continue
        if part == "..":
            if stack:   # at the root, ".." stays there
                stack.pop()
            continue
        found = _child(stack[-1][3] if stack else top, part, wanted)
        if found is None:
            return None
        if stat.S_ISLNK(found[2].st_mode):
            links += 1
            if links > _MAX_LINKS:
                raise ImageFileError(f"{show(wanted)}: too many levels of symbolic links", "loop")
            target = os.readlink(found[1])
            if not target:
                return None   # an empty link target is ENOENT to the kernel
            if target.startswith("/"):
                stack.clear()
            pending.extendleft(reversed(_parts(target)))
            continue
        if pending and not stat.S_ISDIR(found[2].st_mode):
            return None   # ENOTDIR: a file used as a directory
        stack.append(found)
    return _entry(layers, stack, wanted)


def _entry(layers: tuple[Path, ...], stack: list[_Found], wanted: str) -> ImageEntry | None:
    if not stack:
        info = os.lstat(layers[0])
        return ImageEntry("/", layers[0], info.st_mode, layers[0], info.st_size, wanted)
    layer, host, info, _ = stack[-1]
    if wanted.endswith("/") and not stat.S_ISDIR(info.st_mode):
        return None   # a trailing slash asks for a directory
    inside = "/" + "/".join(found[1].name for found in stack)
    return ImageEntry(inside, host, info.st_mode, layer, info.st_size, wanted)


def _open_path(entry: ImageEntry) -> int:
    """An O_PATH descriptor of the entry, reached from its layer without following any link."""
    parts = _parts(entry.path)
    current = os.open(entry.layer, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts[:-1]:
            child = os.open(part, _PATH_FLAGS | os.O_DIRECTORY, dir_fd=current)
            os.close(current)
            current = child
        return os.open(parts[-1], _PATH_FLAGS, dir_fd=current) if parts else os.dup(current)
    finally:
        os.close(current)


def _open_regular(entry: ImageEntry) -> tuple[int, os.stat_result]:
    """A read descriptor of the entry, opened only after its O_PATH descriptor showed a regular file."""
    try:
        handle = _open_path(entry)
    except OSError as error:
        raise ImageFileError(f"{entry.label}: {error.strerror} (changed since it was looked up?)",
                             "unreadable") from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise ImageFileError(f"{entry.label}: not a regular file ({_kind(info.st_mode)})", "not-regular")
        # Reopening the O_PATH descriptor reaches the very inode checked above: no race.
        reader = os.open(f"/proc/self/fd/{handle}", _READ_FLAGS)
    except OSError as error:
        raise ImageFileError(f"{entry.label}: {error.strerror}", "unreadable") from None
    finally:
        os.close(handle)
    return reader, info


def _read(fd: int, offset: int, count: int) -> bytes:
    chunks: list[bytes] = []
    got = 0
    while got < count:
        chunk = os.pread(fd, min(count - got, _CHUNK), offset + got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_entry(entry: ImageEntry, limit: int, *, offset: int = 0, whole: bool = True) -> bytes:
    """Read at most ``limit`` bytes of a regular file; ``whole``: a bigger file is an error."""
    reader, info = _open_regular(entry)
    try:
        if whole and info.st_size > limit:
            raise ImageFileError(f"{entry.label}: {_size(info.st_size)}, over the {_size(limit)} cap",
                                 "too-large")
        if offset < 0 or offset >= max(info.st_size, 1) or limit <= 0:
            return b""
        data = _read(reader, offset, limit + 1 if whole else limit)
    except OSError as error:
        raise ImageFileError(f"{entry.label}: {error.strerror}", "unreadable") from None
    finally:
        os.close(reader)
    if len(data) > limit:   # it grew after fstat
        raise ImageFileError(f"{entry.label}: over the {_size(limit)} cap", "too-large")
    return data


def read_image_bytes(root: Path | OverlayRoot, path: str, limit: int) -> bytes | None:
    """The whole regular file ``path`` of the image, at most ``limit`` bytes; None when absent."""
    entry = resolve_in_image(root, path)
    return None if entry is None else read_entry(entry, limit)


def secure_join(root: Path, path: str | PurePosixPath) -> Path:
    """Return ``root/path`` with every symlink resolved as if ``root`` were ``/``.

    The result never leaves ``root``: ``..`` stops at it and absolute link targets restart
    from it, so a hostile image cannot make the host write outside its root.
    """
    parts = [p for p in PurePosixPath(path).parts if p != "/"]
    resolved: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = root.joinpath(*resolved, part)
        if candidate.is_symlink():
            links += 1
            if links > _MAX_LINKS:
                raise OSError(40, f"too many symlinks resolving {path} in {root}")
            target = PurePosixPath(os.readlink(candidate))
            if target.is_absolute():
                resolved = []
            parts = [p for p in target.parts if p != "/"] + parts
            continue
        resolved.append(part)
    return root.joinpath(*resolved)
