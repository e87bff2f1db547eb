"""The whole verify run's deadline: when it passes, everything this tool started is stopped.

Each wait has its own bound too; this is the backstop that makes ``--timeout`` hard whatever
is hanging (a build, ``docker save``, the runtime, a probe): live containers are torn down
and every child process of the tool is killed, so the waiting call returns and the pipeline
reports the timeout as a notification.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

from .sandbox import cleanup

LOG = logging.getLogger(__name__)


def child_pids(parent: int) -> list[int]:
    """Direct children of ``parent`` (read from /proc)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(entry.path, "stat").read_bytes().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


class Watchdog:
    """Fires once after ``seconds``: closes every live sandbox and kills the tool's children."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._expired = threading.Event()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    @property
    def expired(self) -> bool:
        """True once the deadline has passed."""
        return self._expired.is_set()

    def _fire(self) -> None:
        self._expired.set()
        LOG.warning("verify: the %g s deadline passed; stopping everything it started", self.seconds)
        cleanup.close_all()
        for pid in child_pids(os.getpid()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
