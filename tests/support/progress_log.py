"""A byte-progress display (runner.progress.ByteProgress) that records what it is told."""

from __future__ import annotations


class RecordingBytes:
    """Every call as a tuple in ``events``: ("start", label, total), ("advance", n), ("finish",), ("done",)."""

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []

    def start(self, label: str, total: int | None) -> None:
        self.events.append(("start", label, total))

    def advance(self, count: int) -> None:
        self.events.append(("advance", count))

    def finish(self) -> None:
        self.events.append(("finish",))

    def done(self) -> None:
        self.events.append(("done",))
