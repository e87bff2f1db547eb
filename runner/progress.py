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
from collections.abc import Callable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, Protocol, TextIO

if TYPE_CHECKING:
    from pylint_image.linter.oci.reads import LayerReads

MODES = ("auto", "plain", "none")
_STEP = re.compile(r"^(?:Step \d+/\d+ : |STEP \d+/\d+: |#\d+ \[(?:[^\]]*?\s)?\d+/\d+\] )")
_BYTES_EVERY = 0.1   # seconds between two byte-count updates
# One item of ByteProgress.items: label, total bytes (None: unknown), bytes read, and the
# seconds its reading took once it has ended (None while it is being read).
Row = tuple[str, int | None, int, float | None]


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
    """Told how many bytes of each item (a layer, the ``docker save`` stream) were read; never raises.

    Items come one at a time (start, advance, finish).  Layers read by several processes at
    once are told by :class:`LayerBytes`: all at once to a display that has an
    ``items(group, rows)`` method (these here: ``rows`` is every item of ``group`` so far, as
    ``Row`` tuples, in order), else one after the other in layer order as each ends.
    """

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

    def items(self, group: object, rows: Sequence[Row]) -> None:
        """Ignore the items."""

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
        self._said: dict[object, int] = {}   # rows of each group of ``items`` already written

    def start(self, label: str, total: int | None) -> None:
        """Remember the item."""
        self._label, self._count, self._began = label, 0, time.monotonic()

    def advance(self, count: int) -> None:
        """Remember the count (said when the item ends)."""
        self._count = count

    def finish(self) -> None:
        """Write the item's line."""
        self._line(self._label, self._count, time.monotonic() - self._began)

    def items(self, group: object, rows: Sequence[Row]) -> None:
        """Write the line of each row of ``group`` that has ended since the last call, in the rows' order."""
        said = self._said.get(group, 0)
        while said < len(rows) and rows[said][3] is not None:
            label, _total, count, took = rows[said]
            said += 1
            self._line(label, count, took or 0.0)
        self._said[group] = said

    def _line(self, label: str, count: int, took: float) -> None:
        try:
            self.stream.write(f"pylint-image: {self.command}: {_one_line(label)}: {_size(count)} "
                              f"in {took:.1f} s\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass

    def done(self) -> None:
        """Nothing to finish."""


class RichBytes:
    """A bar per item on a terminal: bytes read / total and the rate; only bytes and rate when the total is unknown.

    The display is transient: when reading is over it is removed, and the report follows alone.
    It is redrawn when told something (callers tell at most every 0.1 s), never by a thread
    of its own: a process with a second thread must not fork, and layers are read by forked
    processes (``linter/oci/parallel.py``).  rich is imported when the first item shows
    (about 0.1 s with the first drawing), not before: layers' helpers are then already at work.
    """

    def __init__(self, console=None, stream: TextIO | None = None) -> None:   # console: rich.console.Console
        self._console, self._stream = console, stream   # no console: one on ``stream`` (stderr) when shown
        self._progress: Any = None
        self._task: Any = None
        self._started = False
        self._rows: dict[object, list[Any]] = {}   # the bars of each group of ``items``, in its rows' order

    def _show(self) -> None:
        if self._progress is None:
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

            console = self._console
            if console is None:
                from rich.console import Console

                console = Console(file=self._stream) if self._stream is not None else Console(stderr=True)
            self._progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                      TransferSpeedColumn(), console=console, transient=True,
                                      auto_refresh=False)
        if not self._started:
            self._progress.start()
            self._started = True

    def start(self, label: str, total: int | None) -> None:
        """Add the item's bar (and show the display on the first one)."""
        self._show()
        self._task = self._progress.add_task(_one_line(label)[:60], total=total)
        self._progress.refresh()

    def advance(self, count: int) -> None:
        """Move the current bar to ``count`` bytes."""
        if self._task is not None:
            self._progress.update(self._task, completed=count)
            self._progress.refresh()

    def items(self, group: object, rows: Sequence[Row]) -> None:
        """Show a bar per row of ``group`` (added as rows appear), each at its count, and redraw once."""
        self._show()
        bars = self._rows.setdefault(group, [])
        for position, (label, total, count, took) in enumerate(rows):
            if position == len(bars):
                bars.append(self._progress.add_task(_one_line(label)[:60], total=total))
            if took is not None and total is None:
                total = count   # ended: what was read is all there was
            self._progress.update(bars[position], completed=count, total=total)
        self._progress.refresh()

    def finish(self) -> None:
        """Fill the current bar (its total is what was read when none was known)."""
        if self._task is not None:
            task = self._progress.tasks[-1]
            self._progress.update(self._task, total=task.total if task.total is not None else task.completed,
                                  completed=task.total if task.total is not None else task.completed)
            self._task = None
            self._progress.refresh()

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
    return RichBytes(stream=stream)


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


class LayerBytes:
    """Shows the layers an image load reads (``ImageSource.load(on_read=...)``) on a ByteProgress.

    Called with a ``linter.oci.reads.LayerReads`` about every 0.1 s and once at the end.
    Layers may be read by several processes at once, largest first: the bars are those of
    layers 1 up to the highest one begun, in layer order, each at its bytes read of its blob's
    size; a layer counts as ended only once every layer below it has ended, so that
    ``--progress plain`` writes its lines in layer order, each with the layer's own time.
    """

    def __init__(self, progress: ByteProgress) -> None:
        self._progress = progress
        self._said = 0   # layers told one at a time (a display without ``items``)

    def __call__(self, reads: LayerReads) -> None:
        count = len(reads.sizes)
        shown = max((i + 1 for i in range(count) if reads.began(i) is not None), default=0)
        rows: list[Row] = []
        prefix = True
        for index in range(shown):
            began, ended = reads.began(index), reads.ended(index)
            prefix = prefix and ended is not None
            took = ended - began if prefix and ended is not None and began is not None else None
            rows.append((f"layer {index + 1}/{count}", reads.sizes[index], reads.count(index), took))
        items = getattr(self._progress, "items", None)
        if items is not None:
            items(self, rows)   # this load's rows: another load's are another group
            return
        while self._said < len(rows) and rows[self._said][3] is not None:
            label, total, read, _took = rows[self._said]
            self._said += 1
            self._progress.start(label, total)
            self._progress.advance(read)
            self._progress.finish()
