"""Directory trees handled through file descriptors, iteratively: remove, measure, copy.

Nothing here recurses in Python or builds a full path for a system call, so a 3,000-deep
tree (whose paths exceed PATH_MAX) is as easy as a flat one.  At most two directory
descriptors are open per walk: the walk moves down by name and back up through ``..``,
checking each time that it came back to the directory it left.  No walk follows a
symlink or crosses into another mount, and every error is a one-line message.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .removal_guard import refuse_removal, short

LOG = logging.getLogger(__name__)
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_IGNORED = (errno.ENOENT,)   # already gone: a concurrent remover got there first


def format_size(count: int) -> str:
    """``1.5 GiB``, ``300.0 MiB``, ``512 B``: binary units, as Docker prints sizes."""
    if abs(count) < 1024:
        return f"{count} B"
    size = float(count)
    for unit in ("KiB", "MiB"):
        size /= 1024
        if abs(size) < 1024:
            return f"{size:.1f} {unit}"
    return f"{size / 1024:.1f} GiB"


def open_dir_at(dir_fd: int, name: str) -> int:
    """Open the directory ``name`` under ``dir_fd`` without following a symlink."""
    return os.open(name, DIR_FLAGS, dir_fd=dir_fd)


def open_beneath(root_fd: int, parts: tuple[str, ...], create: bool = False) -> int | None:
    """Open ``root/parts...`` as a directory, component by component, never following links.

    Missing directories are made (mode 0755) when ``create``; None when a component is a
    symlink, not a directory, or missing.  The caller closes the descriptor.
    """
    current = os.dup(root_fd)
    try:
        for part in parts:
            try:
                child = open_dir_at(current, part)
            except FileNotFoundError:
                if not create:
                    return None
                os.mkdir(part, 0o755, dir_fd=current)
                child = open_dir_at(current, part)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    return None   # a symlink (or a file) here would redirect what follows
                raise
            os.close(current)
            current = child
        found, current = current, -1
        return found
    finally:
        if current >= 0:
            os.close(current)


@dataclass(slots=True)
class _Frame:
    """One directory on the walk's path: its identity and the subdirectories left to visit."""

    parts: tuple[str, ...]
    ident: tuple[int, int]
    pending: list[str]


@dataclass(slots=True)
class Walk:
    """An iterative depth-first walk holding one descriptor: down by name, up by ``..``.

    ``visit(fd, parts)`` handles a directory's entries and returns the subdirectories to
    enter; ``leave(parent_fd, name, parts)`` runs once a subdirectory is done.  Both may
    append to ``errors``; the walk itself never raises for what it meets in the tree.
    """

    visit: Callable[[int, tuple[str, ...]], list[str]]
    leave: Callable[[int, str, tuple[str, ...]], None] | None = None
    enter: Callable[[str], None] | None = None
    label: str = ""
    errors: list[str] = field(default_factory=list)
    fix_access: bool = False   # removal: chmod a directory we cannot enter, then enter it

    def run(self, root_fd: int) -> None:
        """Walk the tree under ``root_fd`` (borrowed: not closed)."""
        fd = os.dup(root_fd)
        device = os.fstat(fd).st_dev
        try:
            stack = [_Frame((), ident(fd), self._visit(fd, ()))]
            while stack:
                frame = stack[-1]
                if frame.pending:
                    name = frame.pending.pop()
                    parts = frame.parts + (name,)
                    child = self._down(fd, name, parts, device)
                    if child is not None:
                        os.close(fd)
                        fd = child
                        if self.enter is not None:
                            self.enter(name)
                        stack.append(_Frame(parts, ident(fd), self._visit(fd, parts)))
                    continue
                stack.pop()
                if stack:
                    up = self._up(fd, stack[-1])
                    os.close(fd)
                    fd = up
                    if self.leave is not None:
                        self.leave(fd, frame.parts[-1], frame.parts)
        finally:
            os.close(fd)

    def _visit(self, fd: int, parts: tuple[str, ...]) -> list[str]:
        """``visit``, with a directory that cannot be listed reported and not entered."""
        try:
            return self.visit(fd, parts)
        except OSError as exc:
            self.errors.append(self.message(parts, exc))
            return []

    def _down(self, fd: int, name: str, parts: tuple[str, ...], device: int) -> int | None:
        try:
            try:
                child = open_dir_at(fd, name)
            except PermissionError:
                if not self.fix_access:
                    raise
                _make_accessible(fd, name)
                child = open_dir_at(fd, name)
        except OSError as exc:
            if exc.errno not in _IGNORED:
                self.errors.append(self.message(parts, exc))
            return None
        if os.fstat(child).st_dev != device:
            os.close(child)
            self.errors.append(f"{self.where(parts)}: a mount point, left alone")
            return None
        return child

    def _up(self, fd: int, parent: _Frame) -> int:
        """Open ``..`` of ``fd``; OSError when it is not the directory the walk came from."""
        up = os.open("..", DIR_FLAGS, dir_fd=fd)
        if ident(up) != parent.ident:
            os.close(up)   # the tree moved under us: stop rather than act on the wrong dirs
            raise OSError(errno.ESTALE, f"{self.where(parent.parts)} moved during the walk")
        return up

    def where(self, parts: tuple[str, ...]) -> str:
        """A printable, bounded name for ``parts`` under the walk's label."""
        return short("/".join((self.label, *parts)) if parts else self.label)

    def message(self, parts: tuple[str, ...], exc: OSError) -> str:
        """One line: which entry, what failed."""
        return f"{self.where(parts)}: {exc.strerror or exc}"


def ident(fd: int) -> tuple[int, int]:
    """(st_dev, st_ino) of an open descriptor: which inode it is."""
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


def _make_accessible(dir_fd: int, name: str) -> None:
    """Give the owner rwx on the directory ``name`` without following a link (non-root runs)."""
    handle = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        # chmod through /proc acts on exactly the inode opened above (O_PATH cannot fchmod).
        os.chmod(f"/proc/self/fd/{handle}", 0o700)
    finally:
        os.close(handle)


def _unlink_entries(fd: int, walk: Walk, parts: tuple[str, ...], mounts: _Mounts) -> list[str]:
    """Unlink every non-directory in ``fd`` and return the subdirectories to empty next."""
    mode = stat.S_IMODE(os.fstat(fd).st_mode)
    if mode & 0o700 != 0o700:
        # Read-only (or unsearchable) dirs: we own the tree, so open it up before emptying.
        _retry_writable(lambda: os.chmod(fd, mode | 0o700), fd, walk, parts)
    subdirs: list[str] = []
    with os.scandir(fd) as entries:
        listed = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
    for name, is_dir in listed:
        if mounts.points and "/".join((mounts.base, *parts, name)) in mounts.points:
            walk.errors.append(f"{walk.where(parts + (name,))}: a mount point, left alone")
        elif is_dir:
            subdirs.append(name)
        else:
            _retry_writable(functools.partial(os.unlink, name, dir_fd=fd), fd, walk, parts + (name,))
    return subdirs


def _retry_writable(action: Callable[[], None], dir_fd: int, walk: Walk,
                    parts: tuple[str, ...]) -> None:
    """Run ``action``; after EACCES/EPERM make the containing dir writable and try once more."""
    for attempt in (1, 2):
        try:
            action()
            return
        except OSError as exc:
            if exc.errno in _IGNORED:
                return
            if attempt == 2 or exc.errno not in (errno.EACCES, errno.EPERM):
                walk.errors.append(walk.message(parts, exc))
                return
            try:
                os.chmod(dir_fd, stat.S_IMODE(os.fstat(dir_fd).st_mode) | 0o700)
            except OSError:
                walk.errors.append(walk.message(parts, exc))
                return


@dataclass(frozen=True, slots=True)
class _Mounts:
    """Mount points strictly below ``base`` (an absolute, resolved path)."""

    base: str = ""
    points: frozenset[str] = frozenset()


def _mounts_under(path: Path) -> _Mounts:
    """Mount points strictly below ``path`` (bind mounts share st_dev, so ask the kernel)."""
    prefix = str(path).rstrip("/") + "/"
    found = set()
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as table:
            for line in table:
                fields = line.split(" ")
                if len(fields) > 4:
                    point = _unescape(fields[4])
                    if point.startswith(prefix):
                        found.add(point)
    except OSError:
        return _Mounts()   # no /proc: the st_dev check still stops at real mounts
    return _Mounts(str(path).rstrip("/"), frozenset(found))


def _unescape(text: str) -> str:
    """Undo mountinfo's octal escapes (``\\040`` is a space)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def remove_at(dir_fd: int, name: str, label: str = "") -> list[str]:
    """Remove ``name`` under ``dir_fd`` (a tree, a file or a link); return one line per failure."""
    label = label or name
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError as exc:
        return [] if exc.errno in _IGNORED else [f"{short(label)}: {exc.strerror}"]
    walk = Walk(visit=lambda fd, parts: [], label=label)
    if not stat.S_ISDIR(info.st_mode):
        _retry_writable(lambda: os.unlink(name, dir_fd=dir_fd), dir_fd, walk, ())
        return walk.errors
    _remove_dir(dir_fd, name, walk, _Mounts())
    return walk.errors


def _remove_dir(dir_fd: int, name: str, walk: Walk, mounts: _Mounts) -> None:
    """Empty the directory ``name`` bottom-up, then remove it."""
    walk.fix_access = True
    walk.visit = lambda fd, parts: _unlink_entries(fd, walk, parts, mounts)
    walk.leave = lambda parent, child, parts: _retry_writable(
        lambda: os.rmdir(child, dir_fd=parent), parent, walk, parts)
    try:
        try:
            top = open_dir_at(dir_fd, name)
        except PermissionError:
            _make_accessible(dir_fd, name)
            top = open_dir_at(dir_fd, name)
        try:
            walk.run(top)
        finally:
            os.close(top)
    except OSError as exc:
        if exc.errno not in _IGNORED:
            walk.errors.append(walk.message((), exc))
        return
    _retry_writable(lambda: os.rmdir(name, dir_fd=dir_fd), dir_fd, walk, ())


def remove_tree(path: str | os.PathLike[str]) -> list[str]:
    """Remove ``path`` and everything under it, iteratively; return one line per failure.

    Read-only and unreadable directories are made accessible first; mount points inside
    the tree (including bind mounts) are left in place and reported; a missing ``path``
    is not an error.  Never raises for what it finds in the tree.
    """
    refusal = refuse_removal(path)
    if refusal is not None:
        return [refusal]
    target = Path(os.path.abspath(path))
    label = str(path)
    try:
        parent = os.open(target.parent, DIR_FLAGS & ~os.O_NOFOLLOW)
    except OSError as exc:
        return [] if exc.errno in _IGNORED else [f"{short(label)}: {exc.strerror}"]
    try:
        info = os.stat(target.name, dir_fd=parent, follow_symlinks=False)
        if not stat.S_ISDIR(info.st_mode):
            return remove_at(parent, target.name, label)
        walk = Walk(visit=lambda fd, parts: [], label=label)
        _remove_dir(parent, target.name, walk, _mounts_under(target.resolve()))
        for line in walk.errors:
            LOG.debug("remove_tree: %s", line)
        return walk.errors
    except OSError as exc:
        return [] if exc.errno in _IGNORED else [f"{short(label)}: {exc.strerror}"]
    finally:
        os.close(parent)


def tree_usage(path: str | os.PathLike[str]) -> int:
    """Bytes allocated on disk under ``path`` (hard-linked files counted once), iteratively."""
    seen: set[tuple[int, int]] = set()
    total = 0

    def visit(fd: int, parts: tuple[str, ...]) -> list[str]:
        """Count each new inode of ``fd``; return its subdirectories."""
        nonlocal total
        subdirs = []
        with os.scandir(fd) as entries:
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                if (info.st_dev, info.st_ino) not in seen:
                    seen.add((info.st_dev, info.st_ino))
                    total += info.st_blocks * 512
                if stat.S_ISDIR(info.st_mode):
                    subdirs.append(entry.name)
        return subdirs

    root = os.open(path, DIR_FLAGS)
    try:
        total += os.fstat(root).st_blocks * 512
        Walk(visit=visit, label=str(path)).run(root)
    finally:
        os.close(root)
    return total
