"""Nothing is left behind when the tool is signalled mid-run, and rootless mode works."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pylint_image.runner.sandbox.support import detect_at
from tests.support.sandbox_leaks import alive
from tests.support.sandbox_rootfs import make_busybox_rootfs

pytestmark = pytest.mark.sandbox

_HOLDER = """
import json, sys, time
from pathlib import Path
from pylint_image.runner.sandbox import SandboxSpec, start
box = start(SandboxSpec(rootfs=Path(sys.argv[1]), argv=("sh", "-c", "sleep 300 & sleep 300")))
leaves = [str(p) for p in box.cgroup.leaves] if box.cgroup else []
print(json.dumps({"pid1": box.pid, "run_dir": str(box.run_dir), "cgroups": leaves}), flush=True)
time.sleep(300)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_mid_run_leaves_nothing(support, rootfs, sig):
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(rootfs)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        info = json.loads(holder.stdout.readline())
        assert alive(info["pid1"]) and Path(info["run_dir"]).is_dir()
        holder.send_signal(sig)
        code = holder.wait(timeout=30)
    finally:
        holder.kill()
    assert code == -sig   # the tool still dies of the signal (Python re-raises SIGINT too)
    assert not alive(info["pid1"])
    assert not Path(info["run_dir"]).exists()
    assert [c for c in info["cgroups"] if Path(c).exists()] == []
    mountinfo = Path("/proc/self/mountinfo").read_text()
    assert info["run_dir"] not in mountinfo


_ROOTLESS = """
import json, sys, types
from pathlib import Path
# The unprivileged user cannot read the editable install's finder: map the packages directly.
top = types.ModuleType("pylint_image"); top.__path__ = []
sys.modules["pylint_image"] = top
for name in ("linter", "runner"):
    mod = types.ModuleType(f"pylint_image.{name}"); mod.__path__ = [sys.argv[2] + "/" + name]
    sys.modules[mod.__name__] = mod
from pylint_image.runner.sandbox import SandboxSpec, run, detect
result = run(SandboxSpec(rootfs=Path(sys.argv[1]), argv=("sh", "-c", "id -u; echo $$; cat /proc/self/uid_map")))
print(json.dumps({"idmap": detect().idmap.value, "stdout": result.stdout.decode(),
                  "error": result.setup_error, "enforced_by": result.usage.enforced_by,
                  "notes": list(result.notes)}))
"""


def test_rootless_sandbox_uses_user_namespace_and_rlimits():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root (to drop to an unprivileged user) and setpriv")
    if not detect_at(uid=65534).userns:
        pytest.skip("the kernel forbids unprivileged user namespaces")
    python = shutil.which("python3", path="/usr/bin:/usr/local/bin") or sys.executable
    repo = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory(prefix="pylint-image-rootless-") as tmp:
        os.chmod(tmp, 0o755)   # the unprivileged user must reach the rootfs
        root = make_busybox_rootfs(Path(tmp) / "rootfs")
        # A rootless user assembles its own rootfs, so it owns it (and may add mount points).
        for path in (root, *root.rglob("*")):
            os.chown(path, 65534, 65534, follow_symlinks=False)
        done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               python, "-c", _ROOTLESS, str(root), str(repo)],
                              capture_output=True, text=True, timeout=60, cwd=tmp)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["error"] is None
    assert report["idmap"] == "single"
    uid, pid, uid_map = report["stdout"].splitlines()
    assert (uid, pid, uid_map.split()) == ("0", "1", ["0", "65534", "1"])
    assert report["enforced_by"] == "rlimit"
    assert any("rlimit" in note for note in report["notes"])
