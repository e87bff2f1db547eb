"""Close every live sandbox when the tool gets SIGINT or SIGTERM, then let the signal act.

This registry is the sandbox's one piece of process-global state: a signal handler has no
other way to find what must be torn down.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType
from typing import Protocol

LOG = logging.getLogger(__name__)
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Closable(Protocol):
    """Anything the handler can tear down."""

    def close(self) -> object:
        """Kill and remove everything the object owns; must be idempotent."""


_live: set[Closable] = set()
_previous: dict[int, object] = {}
_lock = threading.Lock()


def register(item: Closable) -> None:
    """Track a started sandbox and install the handlers (from the main thread only)."""
    with _lock:
        _live.add(item)
    if threading.current_thread() is threading.main_thread():
        install()


def unregister(item: Closable) -> None:
    """Forget a closed sandbox."""
    with _lock:
        _live.discard(item)


def install() -> None:
    """Install the SIGINT/SIGTERM handlers once, chaining to whatever was there."""
    for sig in _SIGNALS:
        current = signal.getsignal(sig)
        if current is not _handle:
            _previous[sig] = current
            signal.signal(sig, _handle)


def close_all() -> None:
    """Close every live sandbox, logging (not raising) individual failures."""
    with _lock:
        items = list(_live)
    for item in items:
        try:
            item.close()
        except Exception:   # one broken teardown must not keep the others alive
            LOG.exception("sandbox cleanup failed")


def _handle(signum: int, frame: FrameType | None) -> None:
    close_all()
    previous = _previous.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_IGN:
        return
    elif signum == signal.SIGINT:
        raise KeyboardInterrupt
    else:
        # Re-deliver with the default action so our exit status still says "killed by SIGTERM".
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
