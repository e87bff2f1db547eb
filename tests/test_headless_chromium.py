"""The headless-browser helper (tests/support/headless_chromium.py) when the browser misbehaves.

Stand-in "chromium" scripts that hang, die or talk nonsense on the DevTools pipe: each run
fails within its deadline with a clear CdpError, the stand-in's whole process group is dead
afterwards (a background child included), and the temporary profile directory is gone.  The
real browser's side is tests/test_html_report.py.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.support.headless_chromium import CdpError, _browser, open_page

HANG = """#!/bin/sh
echo $$ > "$FAKE_PIDS"
sleep 600 &
echo $! >> "$FAKE_PIDS"
wait
"""
DIE = """#!/bin/sh
echo $$ > "$FAKE_PIDS"
echo "[0101/000000.000:ERROR:ozone_platform_x11.cc] Missing X server or \\$DISPLAY" >&2
exit 1
"""
# Reads one command, answers with something that is not JSON, then hangs.
NONSENSE = """#!/bin/sh
echo $$ > "$FAKE_PIDS"
head -c 10 <&3 >/dev/null
printf 'not json\\0' >&4
exec sleep 600
"""


def _fake(tmp_path: Path, script: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    binary = tmp_path / "chromium"
    binary.write_text(script)
    binary.chmod(0o755)
    pids = tmp_path / "pids"
    monkeypatch.setenv("FAKE_PIDS", str(pids))
    return str(binary), pids


def _gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (absent, or a zombie waiting for init)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _pids(path: Path) -> list[int]:
    end = time.monotonic() + 5
    while time.monotonic() < end:
        pids = [int(p) for p in path.read_text().split()] if path.exists() else []
        if pids:
            return pids
        time.sleep(0.05)
    raise AssertionError("the stand-in never started")


def _page(tmp_path: Path) -> Path:
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><p id=p>hello</p>")
    return page


def test_a_browser_that_never_answers_fails_within_the_deadline(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    binary, pids = _fake(tmp_path, HANG, monkeypatch)
    work = tmp_path / "browser"
    began = time.monotonic()
    with pytest.raises(CdpError) as info:
        open_page(_page(tmp_path), "1", work, binary=binary, deadline_s=2.0)
    took = time.monotonic() - began
    assert 2.0 <= took < 5.0, took   # the deadline, then the kill: no grace for a hung browser
    assert str(info.value).startswith("chromium: no answer to Target.createTarget before the deadline ("), info.value
    shell, child = _pids(pids)
    assert _gone(shell) and _gone(child), "the browser's process group survived"
    assert [p.name for p in work.iterdir()] == ["chromium.log"]   # the profile is gone


def test_a_browser_that_dies_at_start_says_why_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary, pids = _fake(tmp_path, DIE, monkeypatch)
    work = tmp_path / "browser"
    began = time.monotonic()
    with pytest.raises(CdpError) as info:
        open_page(_page(tmp_path), "1", work, binary=binary, deadline_s=30.0)
    assert time.monotonic() - began < 10.0
    message = str(info.value)
    assert "Target.createTarget" in message and "Missing X server" in message, message
    assert "chromium.log" in message and "\n" not in message
    assert _gone(_pids(pids)[0])
    assert [p.name for p in work.iterdir()] == ["chromium.log"]


def test_a_browser_that_talks_nonsense_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary, pids = _fake(tmp_path, NONSENSE, monkeypatch)
    with pytest.raises(CdpError, match=r"^chromium: not a DevTools message while waiting for "
                                       r"Target\.createTarget: b'not json'$"):
        open_page(_page(tmp_path), "1", tmp_path / "browser", binary=binary, deadline_s=30.0)
    assert _gone(_pids(pids)[0])


def test_the_browser_is_killed_when_the_test_fails_inside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A failed assertion (or a timeout's exception) while the browser runs: it is still killed.
    binary, pids = _fake(tmp_path, HANG, monkeypatch)
    work = tmp_path / "browser"
    work.mkdir()
    pipes_before = _pipes()
    began = time.monotonic()
    with pytest.raises(AssertionError, match="the test failed"):
        with _browser(binary, work, time.monotonic() + 60):
            _pids(pids)
            raise AssertionError("the test failed")
    # Browser.close gets 5 s (a live browser closes in less), then the group is killed.
    assert time.monotonic() - began < 10.0
    assert all(_gone(pid) for pid in _pids(pids))
    assert [p.name for p in work.iterdir()] == ["chromium.log"]
    assert _pipes() == pipes_before   # both DevTools pipes closed


def _pipes() -> int:
    return sum(os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:") for fd in os.listdir("/proc/self/fd")
               if os.path.exists(f"/proc/self/fd/{fd}"))
