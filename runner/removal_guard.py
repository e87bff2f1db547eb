"""The guard in front of every tree removal: never a dot path, a top-level directory, the cwd or home.

A hostile image cannot choose what verify removes, but a bug in verify (or in a test) can:
this refuses the paths whose loss would be a disaster, before anything is touched.
"""

from __future__ import annotations

import contextlib
import os


def short(text: str, keep: int = 60) -> str:
    """``text`` with its middle elided when longer than ``2 * keep`` (deep paths in messages)."""
    return text if len(text) <= 2 * keep else f"{text[:keep]}…{text[-keep:]}"


def _is_dot_or_root(raw: str) -> bool:
    """True for "", ".", "..", "/" and what normalizes to them, judged as given.

    Found the hard way: a relative "." resolves to its real name ("/work/main") and would
    be removed, so these are refused before anything is made absolute.
    """
    if raw == "" or "\0" in raw:
        return True
    given = os.path.normpath(raw)
    return given in (".", "..", "/", "//") or given.endswith("/..") or \
        os.path.basename(given) in ("", ".", "..")


def _home_dirs() -> set[str]:
    """The user's home, as ``$HOME`` and as the password database gives it (resolved)."""
    homes = set()
    candidates = [os.environ.get("HOME", "")]
    with contextlib.suppress(KeyError, ImportError, OSError):
        import pwd

        candidates.append(pwd.getpwuid(os.getuid()).pw_dir)
    for home in candidates:
        if home and os.path.isabs(home):
            homes.add(os.path.normpath(home))
            with contextlib.suppress(OSError, RuntimeError):
                homes.add(os.path.realpath(home))
    return homes


def _covers(tree: str, inner: str) -> bool:
    """True when the absolute path ``inner`` is ``tree`` or lies below it."""
    return inner == tree or inner.startswith(tree.rstrip("/") + "/")


def refuse_removal(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` must never be removed (one line), or None when removing it is allowed.

    Refused before anything is touched: ``.``, ``..``, ``/``, ``""`` and anything that
    normalizes to them as given; a path that is, or contains, the current directory or
    the user's home; and a path with fewer than two components below ``/`` (``/work``,
    ``/tmp``, ``/root``).  The last two are checked both on the path as written and with
    the symlinks of its parent resolved (the last component is never followed).
    """
    raw = os.fspath(path)
    label = short(raw if isinstance(raw, str) else repr(raw))
    if not isinstance(raw, str) or _is_dot_or_root(raw):
        return f"{label}: refusing to remove a root or a dot path"
    try:
        cwd: str | None = os.getcwd()
    except OSError:
        cwd = None   # the current directory was removed: nothing reachable can contain it
    if not os.path.isabs(raw) and cwd is None:
        return f"{label}: refusing to remove a relative path without a current directory"
    absolute = os.path.normpath(os.path.join(cwd or "/", raw))
    candidates = {absolute}
    try:
        candidates.add(os.path.join(os.path.realpath(os.path.dirname(absolute)),
                                    os.path.basename(absolute)))
    except (OSError, RuntimeError):
        return f"{label}: refusing to remove a path whose parent cannot be resolved"
    protected = _home_dirs()
    if cwd is not None:
        protected |= {cwd, os.path.realpath(cwd)}
    for candidate in candidates:
        if len([part for part in candidate.split("/") if part]) < 2:
            return f"{label}: refusing to remove a top-level directory ({candidate})"
        for keep in protected:
            if _covers(candidate, keep):
                what = "the current directory" if cwd is not None and keep in (cwd, os.path.realpath(cwd)) \
                    else "the home directory"
                return f"{label}: refusing to remove {what} or a directory containing it ({keep})"
    return None
