"""Open a page in a real headless Chromium and report what a user's browser would: the DOM, errors, requests.

A small Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (the browser reads
NUL-terminated JSON commands on fd 3 and writes responses and events on fd 4): no websocket,
no port, nothing to install but Debian's ``chromium``.  What it collects while the page loads:

- uncaught exceptions (``Runtime.exceptionThrown``) and ``console.error``/``console.assert``
  calls (``Runtime.consoleAPICalled``);
- the browser's own error log (``Log.entryAdded`` at level error: a failed resource load, a
  Content-Security-Policy violation);
- every request the page makes other than the page itself (``Network.requestWillBeSent``),
  so a self-contained page can be proven to load nothing.

Chromium runs with ``--no-sandbox``: its sandbox cannot start as root, which tests and CI
run as; the pages opened are the test's own files.  Every wait has a deadline (each write
and read of the DevTools pipe, so the start-up, the page load and the screenshot too): a
browser that hangs or dies is a :class:`CdpError` naming the command it did not answer, the
seconds waited and the end of ``chromium.log``, never a hang.  The browser's whole process
group is killed on exit whatever happened (a failed assertion, a deadline, Ctrl-C), and its
temporary profile directory removed.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

DEFAULT_DEADLINE_S = 90.0
# A reply bigger than this (a screenshot is a few MB of base64) is a browser gone wrong.
MESSAGE_LIMIT = 128 << 20


def chromium_binary() -> str | None:
    """Debian's ``chromium`` (or a ``chromium-browser``/``google-chrome`` on other systems), if installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def require_chromium() -> str:
    """The browser binary; skip without it on a developer's machine, fail in CI (which installs it)."""
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, and CI is set: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return binary


class CdpError(RuntimeError):
    """The browser answered a command with an error, died, or missed a deadline."""


@dataclass
class PageResult:
    """What loading a page showed."""

    errors: list[str] = field(default_factory=list)       # exceptions, console errors, browser error log
    requests: list[str] = field(default_factory=list)     # URLs requested besides the page itself
    values: Any = None                                    # what the probe expression returned
    screenshot: bytes | None = None                       # PNG


class _Pipe:
    """The CDP connection: send a command, wait for its answer, keep the events that came meanwhile."""

    def __init__(self, write_fd: int, read_fd: int, pid: int, deadline: float,
                 log: Path | None = None) -> None:
        self.write_fd, self.read_fd, self.pid, self.deadline = write_fd, read_fd, pid, deadline
        self.log = log
        self.started = time.monotonic()
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            self._check_deadline(method)
            _, ready, _ = select.select([], [self.write_fd], [], self._left())
            if ready:
                try:
                    data = data[os.write(self.write_fd, data):]
                except OSError as exc:   # EPIPE: the browser is gone
                    raise CdpError(f"chromium closed its pipe before {method} ({exc.strerror})"
                                   f"{self._log_tail()}") from None
        while True:
            reply = self._next_message(method)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method: str, session: str) -> dict[str, Any]:
        """The next event ``method`` of ``session`` (also one that arrived already)."""
        for i, event in enumerate(self.events):
            if event["method"] == method and event.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            message = self._next_message(method)
            if message.get("method") == method and message.get("sessionId") == session:
                return message
            if "method" in message:
                self.events.append(message)

    def _next_message(self, waiting_for: str) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            self._check_deadline(waiting_for)
            ready, _, _ = select.select([self.read_fd], [], [], self._left())
            if not ready:
                continue
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise CdpError(f"chromium closed the pipe while waiting for {waiting_for}{self._log_tail()}")
            self.buffer += chunk
            if len(self.buffer) > MESSAGE_LIMIT and b"\0" not in self.buffer:
                raise CdpError(f"chromium: a message of more than {MESSAGE_LIMIT} bytes while waiting "
                               f"for {waiting_for}")
        raw, _, self.buffer = self.buffer.partition(b"\0")
        try:
            return json.loads(raw)
        except ValueError:
            raise CdpError(f"chromium: not a DevTools message while waiting for {waiting_for}: "
                           f"{raw[:200]!r}") from None

    def _left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def _check_deadline(self, what: str) -> None:
        now = time.monotonic()
        if now >= self.deadline:
            raise CdpError(f"chromium: no answer to {what} before the deadline "
                           f"({now - self.started:.1f} s after start){self._log_tail()}")

    def _log_tail(self) -> str:
        """The last line of chromium's log, to say why (empty when there is none)."""
        try:
            lines = (self.log.read_text(errors="replace") if self.log else "").strip().splitlines()
        except OSError:
            return ""
        return f"; {self.log}: {lines[-1][:300]}" if lines else ""


@contextmanager
def _browser(binary: str, workdir: Path, deadline: float) -> Iterator[_Pipe]:
    # A profile of its own, removed at the end (the browser is dead by then).
    profile = Path(tempfile.mkdtemp(prefix="profile-", dir=workdir))
    try:
        with _spawned(binary, workdir, profile, deadline) as pipe:
            yield pipe
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@contextmanager
def _spawned(binary: str, workdir: Path, profile: Path, deadline: float) -> Iterator[_Pipe]:
    # The pipes are created close-on-exec; the spawn's dup2 onto 3 and 4 makes those two inheritable.
    to_browser_r, to_browser_w = os.pipe()
    from_browser_r, from_browser_w = os.pipe()
    log = os.open(workdir / "chromium.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    argv = [binary, "--headless", "--no-sandbox", "--remote-debugging-pipe", f"--user-data-dir={profile}",
            "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--hide-scrollbars", "--mute-audio", "--window-size=1280,900", "about:blank"]
    devnull = os.open(os.devnull, os.O_RDONLY)
    try:
        pid = os.posix_spawn(binary, argv, {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"},
                             file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, log, 1),
                                           (os.POSIX_SPAWN_DUP2, log, 2),
                                           (os.POSIX_SPAWN_DUP2, to_browser_r, 3),
                                           (os.POSIX_SPAWN_DUP2, from_browser_w, 4)],
                             setsid=True)
    except BaseException:
        os.close(to_browser_w)
        os.close(from_browser_r)
        raise
    finally:
        for fd in (to_browser_r, from_browser_w, log, devnull):
            os.close(fd)
    pipe = _Pipe(to_browser_w, from_browser_r, pid, deadline, workdir / "chromium.log")
    broken = False
    try:
        yield pipe
    except CdpError:
        broken = True   # hung, dead or talking nonsense: not asked to close
        raise
    finally:
        closed = False
        try:
            if not broken:
                # A browser that answered so far gets 5 s to close; one that does not is killed.
                pipe.deadline = min(deadline, time.monotonic() + 5)
                pipe.call("Browser.close")
                closed = True
        except (CdpError, OSError, ValueError):
            pass
        finally:
            try:
                _reap(pid, grace_s=5.0 if closed else 0.0)
            finally:
                os.close(to_browser_w)
                os.close(from_browser_r)


def _reap(pid: int, grace_s: float) -> None:
    """Wait for the browser to exit for ``grace_s``, then kill its process group; never hangs."""
    end = time.monotonic() + grace_s
    exited = False
    while time.monotonic() < end:
        exited = os.waitpid(pid, os.WNOHANG)[0] != 0
        if exited:
            break
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)   # the renderer and GPU helpers too (setsid made pid the group)
    except (ProcessLookupError, PermissionError):
        pass
    end = time.monotonic() + 10
    while not exited and time.monotonic() < end:
        try:
            exited = os.waitpid(pid, os.WNOHANG)[0] != 0
        except ChildProcessError:
            break
        time.sleep(0.02)


def open_page(page: Path, probe: str, workdir: Path, *, screenshot: bool = False, width: int = 1280,
              deadline_s: float = DEFAULT_DEADLINE_S, binary: str | None = None) -> PageResult:
    """Load ``page`` (a file), evaluate ``probe`` (a JS expression) and return what was seen.

    ``probe``'s value is returned as JSON (``returnByValue``).  With ``screenshot``, a PNG
    of the whole page (up to 6000 px high) is taken.
    """
    binary = binary or require_chromium()
    workdir.mkdir(parents=True, exist_ok=True)
    url = page.resolve().as_uri()
    result = PageResult()
    with _browser(binary, workdir, time.monotonic() + deadline_s) as cdp:
        target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            cdp.call(f"{domain}.enable", session=session)
        cdp.call("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
        nav = cdp.call("Page.navigate", {"url": url}, session=session)
        if nav.get("errorText"):
            raise CdpError(f"navigation to {url} failed: {nav['errorText']}")
        cdp.wait_event("Page.loadEventFired", session)
        evaluated = cdp.call("Runtime.evaluate", {"expression": probe, "returnByValue": True}, session=session)
        if "exceptionDetails" in evaluated:
            raise CdpError(f"the probe threw: {evaluated['exceptionDetails']}")
        result.values = evaluated["result"].get("value")
        if screenshot:
            metrics = cdp.call("Page.getLayoutMetrics", session=session)
            height = min(6000, int(metrics.get("cssContentSize", metrics.get("contentSize", {})).get("height", 900)))
            cdp.call("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": max(height, 200), "deviceScaleFactor": 1, "mobile": False},
                     session=session)
            shot = cdp.call("Page.captureScreenshot", {"format": "png"}, session=session)
            result.screenshot = base64.b64decode(shot["data"])
        # A last round trip: every event the page caused so far is now in cdp.events.
        cdp.call("Runtime.evaluate", {"expression": "0"}, session=session)
        for event in cdp.events:
            if event.get("sessionId") != session:
                continue
            _collect(event["method"], event.get("params", {}), url, result)
    return result


def _collect(method: str, params: dict[str, Any], url: str, result: PageResult) -> None:
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        description = details.get("exception", {}).get("description") or details.get("text", "")
        result.errors.append(f"exception: {description}")
    elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
        result.errors.append(f"console.{params['type']}: {args}")
    elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
        entry = params["entry"]
        result.errors.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".rstrip())
    elif method == "Network.requestWillBeSent":
        requested = params.get("request", {}).get("url", "")
        if requested != url:
            result.requests.append(requested)
