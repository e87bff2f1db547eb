"""verify's side: ``pylint-image verify --image docker-daemon:TAG --format json`` on the same image."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from pylint_image.linter import find_tool

from .oracle import GRACE
from .verdicts import from_report

# The installed console script, next to this interpreter (as a user runs it), else PATH's.
PYLINT_IMAGE = find_tool("pylint-image") or "pylint-image"


def run_verify(tag: str, cache_dir: Path) -> dict:
    began = time.monotonic()
    cmd = [PYLINT_IMAGE, "verify", "--image", f"docker-daemon:{tag}",
           "--format", "json", "--grace", str(GRACE), "--cache-dir", str(cache_dir)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    seconds = round(time.monotonic() - began, 2)
    try:
        report = json.loads(out.stdout)
    except json.JSONDecodeError:
        return {"verdict": {"entrypoint": "error", "state": f"error: exit {out.returncode}: "
                            + out.stderr.strip()[-300:]}, "record": {"seconds": seconds}}
    result = from_report(report)
    result["record"].update(seconds=seconds, exit_code=out.returncode)
    return result
