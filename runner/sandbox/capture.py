"""Bounded capture of a container's stdout and stderr, read by one thread until EOF or told to stop."""

from __future__ import annotations

import os
import selectors
import threading

from .spec import DEFAULT_CAPTURE


class Capture:
    """Keeps the last ``cap`` bytes of each pipe; a flood is dropped, never buffered in memory."""

    def __init__(self, out_r: int, err_r: int, cap: int = DEFAULT_CAPTURE) -> None:
        self.cap = cap
        self.out, self.err = bytearray(), bytearray()
        self.truncated = False
        self.eof = threading.Event()
        self._stop = threading.Event()
        self._fds = {out_r: self.out, err_r: self.err}
        self._thread = threading.Thread(target=self._run, name=f"sandbox-capture-{out_r}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with selectors.DefaultSelector() as sel:
            for fd in self._fds:
                sel.register(fd, selectors.EVENT_READ)
            # A short select timeout lets ``finish`` end the read when a background process
            # of the container still holds the pipe after the command itself exited.
            while sel.get_map() and not self._stop.is_set():
                for key, _ in sel.select(0.05):
                    data = os.read(key.fd, 65536)
                    if data:
                        self._keep(self._fds[key.fd], data)
                    else:
                        sel.unregister(key.fd)
        for fd in self._fds:
            os.close(fd)
        self.eof.set()

    def _keep(self, buf: bytearray, data: bytes) -> None:
        buf += data
        if len(buf) > self.cap:
            del buf[:len(buf) - self.cap]
            self.truncated = True

    def finish(self, patience: float) -> None:
        """Wait up to ``patience`` seconds for EOF, then stop reading and close the pipes."""
        self.eof.wait(patience)
        self._stop.set()
        self._thread.join()
