"""Build the fidelity images: two shared stacks on the Debian base, then one image per case.

Every tag is a hash of what goes into it (Dockerfile text, files, the parent's image id), so a
run only builds what changed and later runs reuse the images.  The stacks are built first
(their apt layers are shared by every case), then the cases a few at a time.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.support.docker_images import docker_build

PREFIX = "pylint-image-test/fidelity-"
_APT = ("RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
        "--no-install-recommends {} >/dev/null && rm -rf /var/lib/apt/lists/*\n")

# Stack name -> Dockerfile ({debian} is the base).  ``tools``: what services need at run time;
# ``gcc``: a build stage for the multi-stage and scratch cases.
STACKS = {
    "tools": "FROM {debian}\n" + _APT.format("python3 nginx sudo curl busybox")
             + "RUN useradd -m -u 1000 -s /bin/sh app\n",
    "gcc": "FROM {debian}\n" + _APT.format("gcc libc6-dev"),
}


def image_id(tag: str) -> str:
    out = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", tag],
                         capture_output=True, text=True, timeout=60)
    return out.stdout.strip() if out.returncode == 0 else ""


def content_tag(name: str, dockerfile: str, files: dict[str, str | bytes]) -> str:
    digest = hashlib.sha256(dockerfile.encode())
    for path, data in sorted(files.items()):
        digest.update(path.encode() + b"\0")
        digest.update(data.encode() if isinstance(data, str) else data)
    return f"{PREFIX}{name}:{digest.hexdigest()[:12]}"


def _build(tag: str, dockerfile: str, files: dict[str, str | bytes]) -> None:
    with tempfile.TemporaryDirectory(prefix="pylint-image-fidelity-") as tmp:
        ctx = Path(tmp)
        for path, data in files.items():
            target = ctx / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                target.write_bytes(data)
            else:
                target.write_text(data)
        (ctx / "Dockerfile").write_text(dockerfile)
        docker_build(ctx, tag, "Dockerfile", "--network", "host")


def build_stacks(debian: str) -> dict[str, str]:
    """name -> tag of each stack, built when missing (in parallel: they share nothing)."""
    base_id = image_id(debian)
    texts = {name: text.replace("{debian}", debian) + f"# base {base_id}\n" for name, text in STACKS.items()}
    tags = {name: content_tag(f"stack-{name}", text, {}) for name, text in texts.items()}
    missing = [name for name in texts if not image_id(tags[name])]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda n: _build(tags[n], texts[n], {}), missing))
    return tags


def build_cases(cases, parents: dict[str, str], jobs: int = 3) -> dict[str, str]:
    """case name -> tag; ``parents`` fill the ``{debian}``/``{tools}``/``{gcc}`` placeholders."""
    ids = {name: image_id(tag) for name, tag in parents.items()}
    tags, todo = {}, []
    for case in cases:
        text = case.dockerfile
        for name, tag in parents.items():
            text = text.replace("{" + name + "}", tag)
        tag = content_tag(case.name, text + json.dumps(sorted(ids.items())), case.files)
        tags[case.name] = tag
        if not image_id(tag):
            todo.append((tag, text, case.files))
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(lambda job: _build(*job), todo))
    return tags
