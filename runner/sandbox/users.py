"""Resolve an image's USER through its own /etc/passwd and /etc/group, exactly as Docker and runc do.

Two passes, as in a real ``docker run``: Docker's daemon resolves ``USER`` (a name or id,
optionally ``:group``) with runc's ``user`` package and converts the ids to uint32; runc then
looks the numeric ``uid:gid`` up again to find HOME, checks the range, and applies the
additional groups (the primary gid first, as Docker lists it among them).  The quirks of
that package are kept on purpose, because they decide who the container runs as: passwd
has no comment lines, a number that does not parse reads as 0, and an overflowing one
reads as the largest int64.
"""

from __future__ import annotations

import re
from pathlib import Path

from pylint_image.linter.errors import SandboxError
from pylint_image.linter.model.frozen import frozen

from .paths import ImageFileError, read_image_bytes, show
from .spec import OverlayRoot

MAX_FILE = 10 * 1024 * 1024        # runc's cap on passwd and group
MAX_PASSWD_LINE = 64 * 1024        # bufio.Scanner's buffer: a passwd line and its newline must fit
MAX_GROUP_LINE = 1024 * 1024       # ours: runc would buffer a group line of any length
MAX_ID = 2**31 - 1
_INT64 = 2**63
_NUMBER = re.compile(rb"[+-]?[0-9]+")
_RANGE = "uids and gids must be in range 0-2147483647"


@frozen
class ImageUser:
    """Numeric identity and home directory of the image's USER, as Docker computes them."""

    uid: int
    gid: int
    groups: tuple[int, ...]
    home: str


@frozen
class _Passwd:
    name: bytes
    uid: int
    gid: int
    home: bytes


@frozen
class _Group:
    name: bytes
    gid: int
    members: tuple[bytes, ...]


def atoi(text: bytes) -> tuple[int, bool]:
    """Go's ``strconv.Atoi``: (value, parsed); a syntax error reads as 0, an overflow as the int64 bound."""
    if _NUMBER.fullmatch(text) is None:
        return 0, False
    value = int(text)
    if value >= _INT64 or value < -_INT64:
        return (_INT64 - 1 if value > 0 else -_INT64), False
    return value, True


def read_image_file(root: Path | OverlayRoot, path: str, limit: int = MAX_FILE) -> bytes | None:
    """A passwd-style file of the image; None when absent or unopenable (runc reads it as empty)."""
    try:
        return read_image_bytes(root, path, limit)
    except ImageFileError as error:
        if error.reason == "unreadable":
            return None
        raise


def _lines(data: bytes | None, longest: int, path: str, why: str) -> list[bytes]:
    """The non-blank lines, trimmed as Go's ``bytes.TrimSpace`` does for ASCII."""
    lines = []
    for line in (data or b"").split(b"\n"):
        if len(line) > longest:
            raise SandboxError(f"{path}: a line of {len(line)} bytes, over the {longest} bytes {why}")
        line = line.strip(b" \t\n\v\f\r")
        if line:
            lines.append(line)
    return lines


def parse_passwd(data: bytes | None) -> list[_Passwd]:
    """passwd entries as runc reads them: no comments; missing fields are empty or 0."""
    entries = []
    for line in _lines(data, MAX_PASSWD_LINE - 1, "/etc/passwd",
                       "runc reads (it fails: bufio.Scanner: token too long)"):
        fields = line.split(b":") + [b""] * 7
        entries.append(_Passwd(fields[0], atoi(fields[2])[0], atoi(fields[3])[0], fields[5]))
    return entries


def parse_group(data: bytes | None) -> list[_Group]:
    """group entries as runc reads them: ``#`` lines are comments."""
    entries = []
    for line in _lines(data, MAX_GROUP_LINE, "/etc/group", "a line may have"):
        if line.startswith(b"#"):
            continue
        fields = line.split(b":") + [b""] * 4
        members = tuple(fields[3].split(b",")) if fields[3] else ()
        entries.append(_Group(fields[0], atoi(fields[2])[0], members))
    return entries


@frozen
class _ExecUser:
    uid: int
    gid: int
    sgids: tuple[int, ...]
    home: bytes


def _find_user(spec: bytes, passwd: list[_Passwd], default_uid: int) -> _Passwd | None:
    """The first passwd entry for ``spec``: a number is always a uid, never a name."""
    if not spec:
        return next((p for p in passwd if p.uid == default_uid), None)
    uid, numeric = atoi(spec)
    return next((p for p in passwd if (p.uid == uid if numeric else p.name == spec)), None)


def _group_of(spec: bytes, groups: list[_Group]) -> int:
    """The gid named by the group part of USER (a number is always a gid)."""
    gid, numeric = atoi(spec)
    found = next((g for g in groups if (g.gid == gid if numeric else g.name == spec)), None)
    if found is not None:
        return found.gid
    if not numeric:
        raise SandboxError(f"unable to find group {show(spec)}: no matching entries in group file")
    if not 0 <= gid <= MAX_ID:
        raise SandboxError(_RANGE)
    return gid


def exec_user(spec: bytes, passwd: list[_Passwd], groups: list[_Group], home: bytes) -> _ExecUser:
    """runc's ``GetExecUser``: ``user[:group]`` to ids, HOME and the groups listing the user."""
    user_part, _, rest = spec.partition(b":")
    group_part = rest.split(b":", 1)[0]
    entry = _find_user(user_part, passwd, 0)
    uid, gid = 0, 0
    sgids: tuple[int, ...] = ()
    if entry is not None:
        uid, gid, home = entry.uid, entry.gid, entry.home
    elif user_part:
        uid, numeric = atoi(user_part)
        if not numeric:
            raise SandboxError(f"unable to find user {show(user_part)}: no matching entries in passwd file")
        if not 0 <= uid <= MAX_ID:
            raise SandboxError(_RANGE)
    if group_part:   # an explicit group drops the memberships
        gid = _group_of(group_part, groups)
    elif entry is not None and entry.name:
        sgids = tuple(g.gid for g in groups if entry.name in g.members)
    return _ExecUser(uid, gid, sgids, home)


def _additional(gids: tuple[int, ...], groups: list[_Group]) -> tuple[int, ...]:
    """runc's additional groups: each gid at most once, and in range unless the group file has it."""
    known = {g.gid for g in groups}
    for gid in gids:
        if gid not in known and gid > MAX_ID:
            raise SandboxError(_RANGE)
    return tuple(dict.fromkeys(gids))


def resolve_user(root: Path | OverlayRoot, user: str | None) -> ImageUser:
    """Resolve ``USER`` (``name``, ``uid``, ``name:group``, ``uid:gid``; empty means uid 0)."""
    # Both files are opened whatever USER says, as runc does: a FIFO group file would hang it.
    passwd = parse_passwd(read_image_file(root, "/etc/passwd"))
    groups = parse_group(read_image_file(root, "/etc/group"))
    docker = exec_user((user or "").encode("utf-8", "surrogateescape"), passwd, groups, b"")
    # Docker hands runc uint32 ids: a passwd uid of 4294967296 becomes root.
    uid, gid = docker.uid & 0xFFFFFFFF, docker.gid & 0xFFFFFFFF
    runc = exec_user(f"{uid}:{gid}".encode(), passwd, groups, b"/")
    extra = _additional((gid, *(g & 0xFFFFFFFF for g in docker.sgids)), groups)
    return ImageUser(runc.uid, runc.gid, extra, runc.home.decode("utf-8", "surrogateescape"))
