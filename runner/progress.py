"""What a ``verify`` run is doing right now, on stderr: a live rich display, plain lines, or nothing.

The pipeline names each phase as it begins (``lint``, ``build``, ``unpack``, ``start``,
``ports``, ``health``, ``stop``) and may refine it with :meth:`Progress.update` (the
builder's current step, the bytes read from the engine).  Three implementations:

* :class:`RichProgress`: a spinner line that shows the current phase and its detail,
  a countdown where the phase has a limit (the stop signal's grace period), and a
  line per finished phase with its duration (a terminal only; rich is imported here,
  when used, not at start-up);
* :class:`PlainProgress`: one line per phase, for logs (``--progress plain``);
* :class:`SilentProgress`: nothing (``--progress none``, and ``auto`` off a terminal).

Machine formats are unaffected: progress goes to stderr, the report to stdout.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO, Any, Protocol, TextIO

MODES = ("auto", "plain", "none")
_STEP = re.compile(r"^(?:Step \d+/\d+ : |STEP \d+/\d+: |#\d+ \[(?:[^\]]*?\s)?\d+/\d+\] )")
_BYTES_EVERY = 0.1   # seconds between two byte-count updates


class Progress(Protocol):
    """Told by the pipeline where it is; never raises, never writes to stdout."""

    def phase(self, name: str, detail: str = "", countdown: float | None = None) -> None:
        """A new phase begins (the previous one ended); ``countdown``: its limit in seconds."""

    def update(self, detail: str) -> None:
        """The current phase's detail changed (a build step, a byte count)."""

    def done(self) -> None:
        """The run is over: finish the display."""


class SilentProgress:
    """Shows nothing."""

    def phase(self, name: str, detail: str = "", countdown: float | None = None) -> None:
        """Ignore the phase."""

    def update(self, detail: str) -> None:
        """Ignore the detail."""

    def done(self) -> None:
        """Nothing to finish."""


SILENT = SilentProgress()


def _one_line(text: str) -> str:
    from pylint_image.linter.formatters.base import escape_control

    # Details come from build logs and image names: escaped, so they cannot drive the terminal.
    return escape_control(" ".join(text.split()), keep="")


def _label(name: str, detail: str, countdown: float | None) -> str:
    text = name + (f": {detail}" if detail else "")
    return text + (f" (up to {countdown:g} s)" if countdown else "")


class PlainProgress:
    """One line per phase on ``stream``: ``pylint-image: verify: build Dockerfile``."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr

    def phase(self, name: str, detail: str = "", countdown: float | None = None) -> None:
        """Write the phase's line at once (a log shows where a slow run is)."""
        try:
            self.stream.write(f"pylint-image: verify: {_one_line(_label(name, detail, countdown))}\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass   # a closed or broken stderr must not fail the run

    def update(self, detail: str) -> None:
        """Details are for the live display only: one line per phase."""

    def done(self) -> None:
        """Nothing to finish."""


class _Current:
    """The live line: re-rendered on every refresh, so a countdown counts down by itself."""

    def __init__(self, name: str, detail: str, countdown: float | None) -> None:
        self.name, self.detail, self.countdown = name, detail, countdown
        self.first = detail   # what the phase is about; ``detail`` follows it (the build's latest line)
        self.began = time.monotonic()

    def __rich__(self):  # -> rich.text.Text
        from rich.text import Text

        text = Text.assemble((self.name, "bold"), f": {_one_line(self.detail)[:120]}" if self.detail else "")
        elapsed = time.monotonic() - self.began
        if self.countdown:
            text.append(f"  {max(self.countdown - elapsed, 0.0):.0f} s left of {self.countdown:g} s", style="yellow")
        else:
            text.append(f"  {elapsed:.1f} s", style="dim")
        return text


class RichProgress:
    """A spinner with the current phase; a line per finished phase with its duration."""

    def __init__(self, console=None) -> None:   # console: rich.console.Console
        if console is None:
            from rich.console import Console

            console = Console(stderr=True)
        self.console = console
        self._status: Any = None   # a rich.status.Status while a phase shows
        self._current: _Current | None = None

    def phase(self, name: str, detail: str = "", countdown: float | None = None) -> None:
        """End the current phase (printed with its duration) and show the new one."""
        self._finish()
        self._current = _Current(name, detail, countdown)
        if self._status is None:
            self._status = self.console.status(self._current)
            self._status.start()
        else:
            self._status.update(self._current)

    def update(self, detail: str) -> None:
        """Change the live line's detail (shown at the next refresh)."""
        if self._current is not None:
            self._current.detail = detail

    def done(self) -> None:
        """Print the last phase and remove the live line."""
        self._finish()
        if self._status is not None:
            self._status.stop()
            self._status = None

    def _finish(self) -> None:
        current, self._current = self._current, None
        if current is None:
            return
        from rich.text import Text

        detail = f": {_one_line(current.first)[:120]}" if current.first else ""
        self.console.print(Text.assemble(("✓ ", "green"), (current.name, "bold"), detail,
                                         (f"  {time.monotonic() - current.began:.1f} s", "dim")), soft_wrap=True)


def choose(mode: str, stream: TextIO | None = None) -> Progress:
    """The progress display for ``--progress MODE`` on ``stream`` (stderr).

    ``auto`` is the live display on a terminal (plain lines on a dumb one) and nothing
    otherwise: pipes and CI logs get progress lines only when asked with ``plain``.
    """
    stream = stream if stream is not None else sys.stderr
    if mode == "none":
        return SILENT
    if mode == "plain":
        return PlainProgress(stream)
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return SILENT
    if os.environ.get("TERM") == "dumb":
        return PlainProgress(stream)
    from rich.console import Console

    return RichProgress(Console(file=stream))


@contextlib.contextmanager
def shown(mode: str, stream: TextIO | None = None) -> Iterator[Progress]:
    """:func:`choose`, finished (the live line removed) however the run ends."""
    progress = choose(mode, stream)
    try:
        yield progress
    finally:
        progress.done()


def build_lines(progress: Progress) -> Callable[[str], None]:
    """A builder-output callback that shows the builder's current step and its latest output line."""
    step = ""

    def on_line(line: str) -> None:
        nonlocal step
        text = line.strip()
        if not text:
            return
        if _STEP.match(text):
            step = text
            progress.update(step)
        else:
            progress.update(f"{step} | {text}" if step else text)

    return on_line


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 1024:.0f} KiB"


class _Counting:
    """A read-only stream that reports how many bytes went through it."""

    def __init__(self, stream: IO[bytes], report: Callable[[int], None]) -> None:
        self._stream, self._report = stream, report
        self.count, self._last = 0, 0.0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.count += len(data)
        now = time.monotonic()
        if not data or now - self._last >= _BYTES_EVERY:
            self._last = now
            self._report(self.count)
        return data

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def counting_saver(save: Callable[[str], contextlib.AbstractContextManager[IO[bytes]]],
                   progress: Progress) -> Callable[[str], contextlib.AbstractContextManager[IO[bytes]]]:
    """Wrap an image saver (``docker save``) so that the bytes it streams show as the unpack phase's detail."""

    @contextlib.contextmanager
    def counted(ref: str) -> Iterator[IO[bytes]]:
        with save(ref) as stream:
            yield _Counting(stream, lambda n: progress.update(f"{ref}: {_size(n)} read"))  # type: ignore[misc]

    return counted
