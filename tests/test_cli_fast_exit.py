"""``pylint-image image`` run as a process ends without the interpreter's teardown (cli._exit_now).

The report must still be complete on a pipe and in ``-o FILE``, the exit code the findings
deserve (also with a closed stdout), ``atexit`` functions must still run, and a live thread
must get the normal exit.  ``main(argv)`` called in-process always returns.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import synth_image as synth

# No USER: runs-as-root (IM3004, a warning) makes the exit code 1.
SPEC = {"config": {"Cmd": ["sh"]},
        "layers": [{"created_by": "/bin/sh -c #(nop) ADD file:x in /",
                    "files": [{"path": "/bin/sh", "size": 1000, "mode": "0755"},
                              *({"path": f"/data/f{i:04d}.txt", "content": f"{i}\n"} for i in range(300))]},
                   {"created_by": "/bin/sh -c rm -rf /data/f0001.txt",
                    "files": [{"path": "/data/f0001.txt", "type": "whiteout"}]}]}

# A module-level object whose finalizer runs only in the interpreter's teardown.
PRELUDE = """\
import atexit, gc, sys, threading, time
class Witness:
    def __del__(self):
        sys.stderr.write("teardown ran\\n")
witness = Witness()
atexit.register(lambda: sys.stderr.write("atexit ran\\n" if gc.isenabled() else "atexit ran, no cyclic GC\\n"))
"""
MAIN = "import sys\nfrom pylint_image.linter.cli import main\nsys.exit(main())\n"


@pytest.fixture(scope="module")
def layout(tmp_path_factory) -> Path:
    return synth.write_oci_layout(SPEC, tmp_path_factory.mktemp("fast-exit") / "layout")


def run(script: str, *args: str, cwd: Path, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script, *args], cwd=cwd, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"}, check=False)


def in_process(layout: Path, *args: str) -> tuple[int, str]:
    """The same command through main(argv), which returns (the reference output)."""
    script = ("import io, sys\nfrom pylint_image.linter.cli import main\nout = io.StringIO()\nsys.stdout = out\n"
              "code = main(sys.argv[1:])\nsys.stdout = sys.__stdout__\nprint(code)\nprint(out.getvalue(), end='')\n")
    done = run(script, "image", str(layout), *args, cwd=layout.parent)
    code, _, text = done.stdout.partition("\n")
    return int(code), text


def test_image_report_is_complete_on_a_pipe_and_skips_teardown(layout: Path) -> None:
    done = run(PRELUDE + MAIN, "image", str(layout), "-f", "json", cwd=layout.parent)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)   # all of it: it parses
    assert any(f["code"] == "IM3004" for f in report["findings"])
    code, reference = in_process(layout, "-f", "json")
    assert code == 1

    def stable(text: str) -> dict:
        data = json.loads(text)
        data.pop("timings", None)
        return data

    assert stable(done.stdout) == stable(reference)
    # atexit functions ran; the module-level finalizer did not: the teardown was skipped.  The
    # process never collected cycles: everything lived until the end anyway.
    assert done.stderr.splitlines() == ["atexit ran, no cyclic GC"], done.stderr


def test_text_report_and_exit_code_0(layout: Path) -> None:
    done = run(MAIN, "image", str(layout), "--fail-on", "never", cwd=layout.parent)
    code, reference = in_process(layout, "--fail-on", "never")
    assert (done.returncode, code) == (0, 0), done.stderr
    assert done.stdout == reference and done.stdout.rstrip().endswith("Found 2 findings (2 warning).")


def test_report_file_is_complete(layout: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    done = run(PRELUDE + MAIN, "image", str(layout), "-f", "sarif", "-o", str(out), cwd=layout.parent)
    assert done.returncode == 1 and done.stdout == "", done.stderr
    results = json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]
    assert "IM3004" in {r["ruleId"] for r in results}


def test_closed_stdout_keeps_the_exit_code(layout: Path) -> None:
    read, write = os.pipe()
    os.close(read)   # the reader is gone before anything is written
    try:
        done = run(PRELUDE + MAIN, "image", str(layout), stdout=write, cwd=layout.parent)
    finally:
        os.close(write)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr


def test_a_live_thread_gets_the_normal_exit(layout: Path) -> None:
    # A non-daemon thread still running when main() ends: the interpreter joins it, so must we.
    thread = ("threading.Thread(target=lambda: (time.sleep(1.0), sys.stderr.write('thread done\\n'))).start()\n")
    done = run(PRELUDE + thread + MAIN, "image", str(layout), "-f", "json", cwd=layout.parent)
    assert done.returncode == 1
    json.loads(done.stdout)
    assert done.stderr.splitlines() == ["thread done", "atexit ran, no cyclic GC", "teardown ran"], done.stderr


def test_lint_and_in_process_calls_keep_the_normal_exit(layout: Path, tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM busybox:1.36.1@sha256:" + "a" * 64 + "\nUSER 1000\nCMD [\"sh\"]\n")
    done = run(PRELUDE + MAIN, str(dockerfile), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.splitlines() == ["atexit ran", "teardown ran"]
    # main(argv) returns to its caller, whatever the command.
    script = PRELUDE + ("from pylint_image.linter.cli import main\ncode = main(sys.argv[1:])\n"
                        "sys.stderr.write(f'returned {code}\\n')\n")
    done = run(script, "image", str(layout), "-f", "json", cwd=layout.parent)
    assert done.returncode == 0 and done.stderr.splitlines() == ["returned 1", "atexit ran", "teardown ran"]


def test_a_profiler_gets_the_normal_exit(layout: Path, tmp_path: Path) -> None:
    # cProfile (like coverage) writes its results after the script returns.
    stats = tmp_path / "image.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "pylint_image.linter.cli",
                           "image", str(layout), "-f", "json"], cwd=layout.parent, capture_output=True, text=True,
                          timeout=120, check=False)
    assert "Traceback" not in done.stderr, done.stderr   # (cProfile itself exits 0 after the script's SystemExit)
    json.loads(done.stdout)
    import pstats

    assert any("image_cli.py" in filename for filename, _, _ in pstats.Stats(str(stats)).stats)
