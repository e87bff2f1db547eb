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


# --- bytes read: the image command's layers and the docker save stream ------------------


class ByteProgress(Protocol):
    """Told how many bytes of each item (a layer, the ``docker save`` stream) were read; never raises."""

    def start(self, label: str, total: int | None) -> None:
        """A new item begins; ``total``: its size in bytes when known."""

    def advance(self, count: int) -> None:
        """The current item has ``count`` bytes read so far."""

    def finish(self) -> None:
        """The current item was read to its end."""

    def done(self) -> None:
        """Nothing more to read: remove the display."""


class SilentBytes:
    """Shows nothing (off a terminal, and ``--progress none``)."""

    def start(self, label: str, total: int | None) -> None:
        """Ignore the item."""

    def advance(self, count: int) -> None:
        """Ignore the count."""

    def finish(self) -> None:
        """Ignore the end."""

    def done(self) -> None:
        """Nothing to finish."""


SILENT_BYTES = SilentBytes()


def _rate(n: int, seconds: float) -> str:
    return f"{_size(int(n / seconds))}/s" if seconds > 0 else "-"


class PlainBytes:
    """One line per item read, for logs: ``pylint-image: image: layer 2/5: 12.3 MiB in 0.4 s``."""

    def __init__(self, stream: TextIO | None = None, command: str = "image") -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.command = command
        self._label, self._count, self._began = "", 0, 0.0

    def start(self, label: str, total: int | None) -> None:
        """Remember the item."""
        self._label, self._count, self._began = label, 0, time.monotonic()

    def advance(self, count: int) -> None:
        """Remember the count (said when the item ends)."""
        self._count = count

    def finish(self) -> None:
        """Write the item's line."""
        took = time.monotonic() - self._began
        try:
            self.stream.write(f"pylint-image: {self.command}: {_one_line(self._label)}: {_size(self._count)} "
                              f"in {took:.1f} s\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass

    def done(self) -> None:
        """Nothing to finish."""


class RichBytes:
    """A bar per item on a terminal: bytes read / total and the rate; only bytes and rate when the total is unknown.

    The display is transient: when reading is over it is removed, and the report follows alone.
    """

    def __init__(self, console=None) -> None:   # console: rich.console.Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        if console is None:
            from rich.console import Console

            console = Console(stderr=True)
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                  TransferSpeedColumn(), console=console, transient=True)
        self._task: Any = None
        self._started = False

    def start(self, label: str, total: int | None) -> None:
        """Add the item's bar (and show the display on the first one)."""
        if not self._started:
            self._progress.start()
            self._started = True
        self._task = self._progress.add_task(_one_line(label)[:60], total=total)

    def advance(self, count: int) -> None:
        """Move the current bar to ``count`` bytes."""
        if self._task is not None:
            self._progress.update(self._task, completed=count)

    def finish(self) -> None:
        """Fill the current bar (its total is what was read when none was known)."""
        if self._task is not None:
            task = self._progress.tasks[-1]
            self._progress.update(self._task, total=task.total if task.total is not None else task.completed,
                                  completed=task.total if task.total is not None else task.completed)
            self._task = None

    def done(self) -> None:
        """Remove the display."""
        if self._started:
            self._progress.stop()
            self._started = False


def choose_bytes(mode: str, stream: TextIO | None = None, command: str = "image") -> ByteProgress:
    """The byte-count display for ``--progress MODE`` on ``stream`` (stderr), as :func:`choose` picks."""
    stream = stream if stream is not None else sys.stderr
    if mode == "none":
        return SILENT_BYTES
    if mode == "plain":
        return PlainBytes(stream, command)
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return SILENT_BYTES
    if os.environ.get("TERM") == "dumb":
        return PlainBytes(stream, command)
    from rich.console import Console

    return RichBytes(Console(file=stream))


class _CountedReader:
    """A read-only stream that tells a ByteProgress its bytes (at most every ``_BYTES_EVERY`` s) and its end."""

    def __init__(self, stream: IO[bytes], progress: ByteProgress) -> None:
        self._stream, self._progress = stream, progress
        self.count, self._last, self._ended = 0, 0.0, False

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.count += len(data)
        now = time.monotonic()
        if not data and size != 0:
            self._end()
        elif now - self._last >= _BYTES_EVERY:
            self._last = now
            self._progress.advance(self.count)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._progress.advance(self.count)
            self._progress.finish()

    def close(self) -> None:
        self._end()
        self._stream.close()

    def __enter__(self) -> _CountedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def counted_saver(save: Callable[[str], contextlib.AbstractContextManager[IO[bytes]]],
                  progress: ByteProgress) -> Callable[[str], contextlib.AbstractContextManager[IO[bytes]]]:
    """Wrap an image saver (``docker save``): its stream shows as one item of unknown size (bytes and rate)."""

    @contextlib.contextmanager
    def counted(ref: str) -> Iterator[IO[bytes]]:
        with save(ref) as stream:
            progress.start(f"docker save {ref}", None)
            reader = _CountedReader(stream, progress)
            try:
                yield reader  # type: ignore[misc]
            finally:
                reader._end()

    return counted


class CountedStore:
    """A blob store (``linter.oci`` DirStore/TarStore) whose layer blobs tell a ByteProgress what was read.

    Only the layers are counted (``layer 2/5``, their stored size as the total); the index,
    manifest and config blobs are small and read before.
    """

    def __init__(self, store: Any, layers: Any, progress: ByteProgress) -> None:
        self._store, self._progress = store, progress
        self._layers = {layer.blob: (i, len(layers)) for i, layer in enumerate(layers)}

    def open(self, blob: str, size: int | None = None) -> Any:
        """Open ``blob``; a layer's stream is counted."""
        handle = self._store.open(blob, size)
        where = self._layers.get(blob)
        if where is None:
            return handle
        self._progress.start(f"layer {where[0] + 1}/{where[1]}", size)
        return _CountedReader(handle, self._progress)

    def __getattr__(self, name: str):
        return getattr(self._store, name)
