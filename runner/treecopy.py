"""Copy a layer tree onto a root being assembled, iteratively and without following links.

The copy fallback (no overlayfs) builds the container's root from cached layers.  It
must not multiply disk use (a hard link inside a layer stays one inode, not one copy per
name) nor recurse (3,000-deep trees), and every failure is a one-line message.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field

from .fsutil import DIR_FLAGS, Walk, ident, open_beneath, open_dir_at, remove_at


@dataclass(slots=True)
class _Copy:
    """One ``copy_into``: a destination cursor that follows the source walk, and links seen."""

    dst_root: int
    dst: int
    dst_path: list[tuple[int, int]]
    skip: frozenset[str]
    as_root: bool
    walk: Walk
    links: dict[tuple[int, int], tuple[str, ...]] = field(default_factory=dict)

    def visit(self, fd: int, parts: tuple[str, ...]) -> list[str]:
        """Copy the non-directories of ``fd``; make (or keep) its subdirectories."""
        subdirs = []
        with os.scandir(fd) as entries:
            listed = [(e.name, e.stat(follow_symlinks=False)) for e in entries]
        for name, info in listed:
            rel = parts + (name,)
            if self.skip and "/".join(rel) in self.skip:
                continue   # e.g. an overlay whiteout marker: not content
            try:
                if stat.S_ISDIR(info.st_mode):
                    self._make_dir(name)
                    subdirs.append(name)
                else:
                    self._clear(name)
                    self._copy_entry(fd, name, info, rel)
            except OSError as exc:
                self.walk.errors.append(self.walk.message(rel, exc))
        return subdirs

    def enter(self, name: str) -> None:
        """Follow the source walk down into ``name``."""
        child = open_dir_at(self.dst, name)
        os.close(self.dst)
        self.dst = child
        self.dst_path.append(ident(child))

    def leave(self, src_parent: int, name: str, parts: tuple[str, ...]) -> None:
        """Follow the walk back up, then give the finished directory its source attributes."""
        up = os.open("..", DIR_FLAGS, dir_fd=self.dst)
        os.close(self.dst)
        self.dst = up
        self.dst_path.pop()
        if ident(up) != self.dst_path[-1]:
            raise OSError(errno.ESTALE, "the destination moved during the copy")
        info = os.stat(name, dir_fd=src_parent, follow_symlinks=False)
        try:
            self._attrs(name, info)
        except OSError as exc:
            self.walk.errors.append(self.walk.message(parts, exc))

    def _make_dir(self, name: str) -> None:
        try:
            info = os.stat(name, dir_fd=self.dst, follow_symlinks=False)
        except FileNotFoundError:
            os.mkdir(name, 0o700, dir_fd=self.dst)
            return
        if not stat.S_ISDIR(info.st_mode):
            self._clear(name)
            os.mkdir(name, 0o700, dir_fd=self.dst)
        elif not self.as_root and info.st_mode & 0o700 != 0o700:
            os.chmod(name, info.st_mode | 0o700, dir_fd=self.dst)   # until leave() sets its mode

    def _clear(self, name: str) -> None:
        errors = remove_at(self.dst, name)
        if errors:
            raise OSError(errno.EIO, errors[0])

    def _copy_entry(self, fd: int, name: str, info: os.stat_result, rel: tuple[str, ...]) -> None:
        mode = info.st_mode
        if stat.S_ISREG(mode):
            first = self.links.get((info.st_dev, info.st_ino))
            if first is not None and self._link(first, name):
                return
            if info.st_nlink > 1:
                self.links[(info.st_dev, info.st_ino)] = rel
            _copy_file(fd, name, self.dst)
        elif stat.S_ISLNK(mode):
            os.symlink(os.readlink(name, dir_fd=fd), name, dir_fd=self.dst)
        elif stat.S_ISFIFO(mode):
            os.mkfifo(name, 0o600, dir_fd=self.dst)
        else:
            return   # devices and sockets never reach a layer tree (extraction refuses them)
        self._attrs(name, info)

    def _link(self, first: tuple[str, ...], name: str) -> bool:
        """Recreate a hard link of this layer between the two copies (not a second copy)."""
        parent = open_beneath(self.dst_root, first[:-1])
        if parent is None:
            return False
        try:
            os.link(first[-1], name, src_dir_fd=parent, dst_dir_fd=self.dst, follow_symlinks=False)
        finally:
            os.close(parent)
        return True

    def _attrs(self, name: str, info: os.stat_result) -> None:
        is_link = stat.S_ISLNK(info.st_mode)
        if self.as_root:
            os.chown(name, info.st_uid, info.st_gid, dir_fd=self.dst, follow_symlinks=False)
        if not is_link:
            os.chmod(name, stat.S_IMODE(info.st_mode), dir_fd=self.dst)
        os.utime(name, ns=(info.st_atime_ns, info.st_mtime_ns), dir_fd=self.dst,
                 follow_symlinks=False)


def _copy_file(src_dir: int, name: str, dst_dir: int) -> None:
    """Copy one regular file's bytes (in the kernel when it can) to a new file of that name."""
    src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=src_dir)
    try:
        dst = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                      0o600, dir_fd=dst_dir)
        try:
            while True:
                try:
                    done = os.copy_file_range(src, dst, 1 << 30)
                except OSError as exc:
                    if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL):
                        raise
                    while chunk := os.read(src, 1 << 20):
                        os.write(dst, chunk)
                    return
                if done == 0:
                    return
        finally:
            os.close(dst)
    finally:
        os.close(src)


def copy_into(src: int, dst: int, skip: frozenset[str] = frozenset(), label: str = "") -> list[str]:
    """Copy the tree under ``src`` onto the tree under ``dst`` (merging dirs, replacing the rest).

    Both are borrowed directory descriptors.  Paths in ``skip`` (``a/b``, relative) are not
    copied; hard links inside ``src`` stay links; returns one line per failure.
    """
    walk = Walk(visit=lambda fd, parts: [], label=label)
    dst_fd = os.dup(dst)
    copy = _Copy(dst, dst_fd, [ident(dst_fd)], skip, os.geteuid() == 0, walk)
    walk.visit, walk.enter, walk.leave = copy.visit, copy.enter, copy.leave
    try:
        walk.run(src)
    except OSError as exc:
        walk.errors.append(walk.message((), exc))
    finally:
        os.close(copy.dst)
    return walk.errors
