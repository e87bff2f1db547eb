"""The tool's own container image: the root Dockerfile lints clean, builds, and the image works.

CI has no registry, so the image is built against a local base: the Debian base of the
fidelity tests (``scripts/debian-base.sh``) plus Debian's python3 and python3-venv, cached
under a tag that hashes what went into it.  pip inside the build reaches no index either:
the test downloads the build and runtime requirements (read from ``pyproject.toml``) with
this machine's pip and serves them on 127.0.0.1, passed in with the Dockerfile's
``PIP_FIND_LINKS``/``PIP_NO_INDEX`` build args (``--network host``).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pylint_image.linter.tools import find_tool
from tests.support.debian_base import debian_base, image_exists
from tests.support.docker_images import busybox_base, docker_build

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO / "Dockerfile"
DOC = REPO / "docs" / "ci" / "container.md"
TOOL_TAG = "pylint-image-test/tool:ci"
PYTHON_BASE = "pylint-image-test/python-base"
_PYTHON_BASE_DOCKERFILE = (
    "FROM {debian}\n"
    "RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
    "--no-install-recommends python3 python3-venv >/dev/null && rm -rf /var/lib/apt/lists/*\n"
)
# Findings, the exit code they give, and what the sample is linted for.
SAMPLE = "FROM python:latest\nRUN apt-get install -y curl\n"


def lint_host(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", *args], cwd=REPO,
                          input=stdin, capture_output=True, text=True, timeout=120)


def docker(*args: str, stdin: str | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], input=stdin, capture_output=True, text=True, timeout=timeout)


def run_image(*args: str, docker_args: tuple[str, ...] = (), stdin: str | None = None,
              ) -> subprocess.CompletedProcess[str]:
    return docker("run", "--rm", *(("-i",) if stdin is not None else ()), *docker_args, TOOL_TAG, *args,
                  stdin=stdin)


# -- the root Dockerfile follows every rule (no Docker needed) -------------------------------

def test_root_dockerfile_lints_clean_with_every_rule() -> None:
    """0 findings with the default config, and also with every rule (preview ones included)."""
    default = lint_host("Dockerfile")
    assert default.returncode == 0, default.stdout + default.stderr
    every = lint_host("--select", "ALL", "--preview", "-f", "json", "Dockerfile")
    assert every.returncode == 0, every.stdout + every.stderr
    findings = json.loads(every.stdout)["findings"]
    # Nothing reported and nothing suppressed: the file needs no pragma.
    assert findings == []


def test_root_dockerfile_shape() -> None:
    """Multi-stage, base pinned by digest through the BASE arg, numeric USER, exec ENTRYPOINT."""
    text = DOCKERFILE.read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    base = next(line for line in lines if line.startswith("ARG BASE="))
    assert base.startswith("ARG BASE=python:3.11-slim-bookworm@sha256:")
    assert len(base.rsplit(":", 1)[1]) == 64
    froms = [line for line in lines if line.startswith("FROM ")]
    assert froms == ["FROM ${BASE} AS builder", "FROM ${BASE}"]
    assert any(line.startswith("COPY --from=builder /opt/pylint-image") for line in lines)
    assert "USER 65532:65532" in lines
    assert 'ENTRYPOINT ["pylint-image"]' in lines
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    for entry in (".git", "tests/artifacts", "build", "**/*.egg-info", "**/__pycache__"):
        assert entry in ignored


# -- the built image ---------------------------------------------------------------------------

@functools.cache
def _requirements() -> tuple[str, ...]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    return (*project["build-system"]["requires"], *project["project"]["dependencies"])


def _python_base() -> str:
    """Debian base + python3 + venv, built once per content (the Debian base's id included)."""
    debian = debian_base()
    debian_id = docker("image", "inspect", "--format", "{{.Id}}", debian).stdout.strip()
    text = _PYTHON_BASE_DOCKERFILE.format(debian=debian) + f"# base {debian_id}\n"
    tag = f"{PYTHON_BASE}:{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    if not image_exists(tag):
        with tempfile.TemporaryDirectory(prefix="pylint-image-python-base-") as tmp:
            (Path(tmp) / "Dockerfile").write_text(text)
            docker_build(Path(tmp), tag, "Dockerfile", "--network", "host")
    return tag


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
        pass


@pytest.fixture(scope="module")
def tool_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the root Dockerfile against the local Python base, pip fed from a local wheelhouse."""
    base = _python_base()
    version = docker("run", "--rm", base, "python3", "-c",
                     "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')").stdout.strip()
    assert version, f"no python3 in {base}"
    wheels = tmp_path_factory.mktemp("wheelhouse")
    # The base's Python, not the host's, decides which wheels fit.
    download = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "-d", str(wheels),
         "--only-binary=:all:", "--python-version", version, *_requirements()],
        capture_output=True, text=True, timeout=600)
    assert download.returncode == 0, f"pip download failed: {download.stderr[-2000:]}"
    handler = functools.partial(_QuietHandler, directory=str(wheels))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        docker_build(REPO, TOOL_TAG, "Dockerfile", "--network", "host",
                     "--build-arg", f"BASE={base}",
                     "--build-arg", "PIP_NO_INDEX=1",
                     "--build-arg", f"PIP_FIND_LINKS=http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()
    yield TOOL_TAG


@pytest.mark.docker
@pytest.mark.slow
def test_image_config(tool_image: str) -> None:
    """Non-root numeric user, exec-form entrypoint, the HEALTHCHECK opted out, OCI labels."""
    config = json.loads(docker("image", "inspect", "--format", "{{json .Config}}", tool_image).stdout)
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"] == ["pylint-image"]
    assert config["Healthcheck"]["Test"] == ["NONE"]
    assert config["Labels"]["org.opencontainers.image.title"] == "pylint-image"
    assert config["WorkingDir"] == "/work"
    ids = docker("run", "--rm", "--entrypoint", "id", tool_image)
    assert ids.returncode == 0, ids.stderr
    assert ids.stdout.split()[0] == "uid=65532"
    # verify's tools and Docker's seccomp profile are in the image.
    tools = docker("run", "--rm", "--entrypoint", "sh", tool_image, "-c",
                   "command -v runc && command -v ip && "
                   "test -s /usr/local/share/pylint-image/seccomp/default.json && echo ok")
    assert tools.returncode == 0 and tools.stdout.splitlines()[-1] == "ok", tools.stdout + tools.stderr


@pytest.mark.docker
@pytest.mark.slow
def test_image_lints_its_own_dockerfile_from_stdin(tool_image: str) -> None:
    result = run_image("-", stdin=DOCKERFILE.read_text())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("No findings"), result.stdout


@pytest.mark.docker
@pytest.mark.slow
def test_stdin_findings_and_sarif(tool_image: str) -> None:
    text = run_image("-", stdin=SAMPLE)
    assert text.returncode == 1, text.stdout + text.stderr
    assert "Dockerfile:1:" in text.stdout and "DF1001" in text.stdout
    sarif = run_image("-f", "sarif", "-", stdin=SAMPLE)
    assert sarif.returncode == 1, sarif.stderr
    doc = json.loads(sarif.stdout)
    assert doc["version"] == "2.1.0"
    rule_ids = {r["ruleId"] for r in doc["runs"][0]["results"]}
    assert {"DF1001", "DF2001"} <= rule_ids


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checkout-like folder readable by the image's uid 65532 (tmp_path itself is 0700)."""
    ws = tmp_path / "ws"
    (ws / "svc").mkdir(parents=True)
    (ws / "Dockerfile").write_text(SAMPLE)
    (ws / "svc" / "Dockerfile").write_text(DOCKERFILE.read_text())
    for path in (ws, ws / "svc"):
        path.chmod(0o755)
    for path in (ws / "Dockerfile", ws / "svc" / "Dockerfile"):
        path.chmod(0o644)
    return ws


@pytest.mark.docker
@pytest.mark.slow
def test_mounted_workspace(tool_image: str, workspace: Path) -> None:
    """`docker run -v "$PWD:/work" IMAGE .`: directories are searched, paths are workspace-relative."""
    result = run_image("-f", "json", ".", docker_args=("-v", f"{workspace}:/work:ro"))
    assert result.returncode == 1, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert sorted(doc["targets"]) == ["Dockerfile", "svc/Dockerfile"]
    paths = {f["location"]["path"] for f in doc["findings"] if not f["suppressed"]}
    assert paths == {"Dockerfile"}
    clean = run_image("svc/Dockerfile", docker_args=("-v", f"{workspace}:/work:ro"))
    assert clean.returncode == 0, clean.stdout + clean.stderr


@pytest.mark.docker
@pytest.mark.slow
def test_report_written_into_workspace_as_the_callers_user(tool_image: str, workspace: Path) -> None:
    """--output writes into the mounted workspace when the container runs as its owner."""
    owner = f"{workspace.stat().st_uid}:{workspace.stat().st_gid}"
    result = run_image("-f", "sarif", "--output", "report.sarif", ".",
                       docker_args=("--user", owner, "-v", f"{workspace}:/work"))
    assert result.returncode == 1, result.stdout + result.stderr
    doc = json.loads((workspace / "report.sarif").read_text())
    assert doc["runs"][0]["results"]


@pytest.mark.docker
@pytest.mark.slow
def test_bad_input_is_one_line(tool_image: str, workspace: Path) -> None:
    result = run_image("missing/Dockerfile", docker_args=("-v", f"{workspace}:/work:ro"))
    assert result.returncode == 2
    assert result.stderr.startswith("pylint-image: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "missing/Dockerfile" in result.stderr


@pytest.mark.docker
@pytest.mark.slow
def test_image_analysis_of_a_mounted_archive(tool_image: str, tmp_path: Path) -> None:
    """`image /data/app.tar`: a docker-save archive mounted in is analysed layer by layer."""
    base = busybox_base()
    data = tmp_path / "data"
    data.mkdir()
    archive = data / "app.tar"
    saved = docker("save", "-o", str(archive), base)
    assert saved.returncode == 0, saved.stderr
    data.chmod(0o755)
    archive.chmod(0o644)
    result = run_image("image", "/data/app.tar", "-f", "json", docker_args=("-v", f"{data}:/data:ro"))
    assert result.returncode == 1, result.stdout + result.stderr   # busybox base runs as root
    doc = json.loads(result.stdout)
    assert doc["targets"] == ["/data/app.tar"]
    assert "IM3004" in {f["code"] for f in doc["findings"]}
    assert doc["tables"], "no layer table"


# What verify needs from `docker run` (docs/ci/container.md): root in the container (the
# image's uid 65532 could only run rootless, which maps no other uid), mounts and namespaces
# (CAP_SYS_ADMIN), the sandbox's network (CAP_NET_ADMIN), runc's keyring and mount calls
# (no seccomp/AppArmor confinement of the outer container), writable cgroups, and a /tmp
# that is not overlayfs (the container's rootfs overlay needs its upper dir elsewhere).
VERIFY_RUN_ARGS = ("--user", "0", "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN",
                   "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
                   "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/tmp:exec")


@pytest.mark.docker
@pytest.mark.sandbox
@pytest.mark.slow
def test_verify_runs_inside_the_image(tool_image: str, tmp_path: Path) -> None:
    """`verify --image app.tar` in the tool's container starts the image in the sandbox for real."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    dockerfile = f'FROM {busybox_base()}\nUSER 1000\nCMD ["true"]\n'
    (ctx / "Dockerfile").write_text(dockerfile)
    docker_build(ctx, "pylint-image-test/container-verify:1")
    data = tmp_path / "data"
    data.mkdir()
    saved = docker("save", "-o", str(data / "app.tar"), "pylint-image-test/container-verify:1")
    assert saved.returncode == 0, saved.stderr
    (data / "Dockerfile").write_text(dockerfile)
    data.chmod(0o755)
    for path in data.iterdir():
        path.chmod(0o644)
    result = run_image("verify", "--image", "app.tar", "Dockerfile", "--require-sandbox", "--progress", "none",
                       "-f", "json", docker_args=(*VERIFY_RUN_ARGS, "-v", f"{data}:/work:ro"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    doc = json.loads(result.stdout)
    assert doc["notifications"] == []
    rows = {row[0]: row[1:] for table in doc["tables"] for row in table["rows"]}
    assert rows["start"][0] == "exited" and "exit code 0" in rows["start"][1]
    assert rows["user"] == ["non-root", "uid 1000"]
    assert "cgroup" in rows["resources"][1]


# -- docs/ci/container.md ---------------------------------------------------------------------

_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _doc_blocks(lang: str) -> list[str]:
    return [body for kind, body in _BLOCK.findall(DOC.read_text(encoding="utf-8")) if kind == lang]


def _yaml_block(first_line: str) -> str:
    found = [body for body in _doc_blocks("yaml") if body.splitlines()[0] == first_line]
    assert len(found) == 1, f"docs/ci/container.md has no single yaml block starting {first_line!r}"
    return found[0]


def _tool(name: str) -> str:
    path = find_tool(name)
    assert path is not None, f"{name} is missing: install the test extra (pip install -e '.[test]')"
    return path


def test_doc_verify_command_has_the_flags_the_test_proves() -> None:
    """The doc's `docker run ... verify` line gives exactly the flags test_verify_runs_inside_the_image uses."""
    commands = [shlex.split(line) for body in _doc_blocks("sh")
                for line in body.replace("\\\n", " ").splitlines() if " verify " in line]
    assert len(commands) == 1, commands
    words = commands[0]
    image_at = words.index("pylint-image")
    flags = words[3:image_at]   # after `docker run --rm`
    workspace = ["-v", '$PWD:/work']
    assert flags[-2:] == workspace
    assert tuple(flags[:-2]) == VERIFY_RUN_ARGS
    assert words[image_at + 1:image_at + 3] == ["verify", "--image"]


def test_doc_gitlab_job_validates(tmp_path: Path) -> None:
    body = _yaml_block("# .gitlab-ci.yml")
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text(body, encoding="utf-8")
    done = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "entrypoint: [\"\"]" in body and "--format gitlab --output gl-code-quality-report.json" in body


def test_doc_github_workflow_validates_and_passes_actionlint(tmp_path: Path) -> None:
    body = _yaml_block("# .github/workflows/pylint-image-container.yml")
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True, capture_output=True, timeout=30)
    path = repo / ".github" / "workflows" / "pylint-image-container.yml"
    path.write_text(body, encoding="utf-8")
    schema = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    lint = subprocess.run([_tool("actionlint"), "-no-color", "-oneline"], cwd=repo, capture_output=True,
                          text=True, timeout=120)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "--format sarif --output pylint-image.sarif" in body and "upload-sarif" in body
