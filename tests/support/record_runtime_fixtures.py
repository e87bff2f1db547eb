"""Record runtime fixtures from real ``verify`` runs (needs Docker and the sandbox; tests never call it).

    python3 -m tests.support.record_runtime_fixtures RT3010 httpd [RT3007 wrong-port ...]

Each ``CODE IMAGE`` pair verifies the test image ``IMAGE`` of ``tests/support/verify_images.py``
(built if needed) with its Dockerfile linked, as ``pylint-image verify --image`` would, and writes
``tests/fixtures/runtime/CODE/recorded-IMAGE.json``: the observation verify judged, and the
findings of ``CODE`` it produced as ``expected``.  Read the result before committing it: the
expectations are what the rules say today, not what they should say.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from unittest import mock

from pylint_image.runner import pipeline
from pylint_image.runner.sandbox import Limits
from pylint_image.runner.spec import VerifySpec
from tests.support.linting import config_for, registry
from tests.support.runtime_fixtures import FIXTURES, dump_fixture, findings_of, judge_case, load_case, run_to_json
from tests.support.verify_images import IMAGES, build_verify_images

# The settings of tests/runner/test_verify_images.py: short windows, small limits.
SETTINGS = {"start_window": 2.0, "grace": 1.5, "limits": Limits(memory_bytes=64 << 20, pids=32, cpus=1.0)}
OVERRIDES = {"slow-start": {"start_window": None}}   # verify's default window, as its test uses


def _rounded(value):
    """Recorded durations to the millisecond: the fixture stays readable, the messages do not change."""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def record(code: str, name: str, tags: dict[str, str]) -> Path:
    """Verify image ``name``, write its fixture for ``code`` and return the file's path."""
    lines = IMAGES[name].replace("{base}", "busybox").splitlines()
    seen = []
    real_judge = pipeline.judge

    def capture(run, *args, **kwargs):
        seen.append(run)
        return real_judge(run, *args, **kwargs)

    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(pipeline, "judge", capture):
        dockerfile = Path(tmp) / "Dockerfile"
        dockerfile.write_text("\n".join(lines) + "\n")
        spec = VerifySpec(image=f"docker-daemon:{tags[name]}", dockerfile=dockerfile, lint=False,
                          cache_dir=Path(tmp) / "cache",
                          **{**SETTINGS, **OVERRIDES.get(name, {})})
        pipeline.verify(spec, registry(), config_for())
    (run,) = seen
    data = _rounded(run_to_json(run))
    data["image"] = f"example/{name}:1"
    path = FIXTURES / code / f"recorded-{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    fixture = {"about": f"recorded from verify of the '{name}' test image (tests/support/verify_images.py)",
               "dockerfile": lines, "run": data, "expected": []}
    path.write_text(dump_fixture(fixture) + "\n")
    case = load_case(path)
    relocated = {key: loc.span for key, loc in run.sources.items()}
    assert relocated == {key: loc.span for key, loc in case.run.sources.items()}, "sources differ"
    fixture["expected"] = findings_of(case, judge_case(case))
    path.write_text(dump_fixture(fixture) + "\n")
    return path


def main(argv: list[str]) -> int:
    if not argv or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    tags = build_verify_images()
    for code, name in zip(argv[::2], argv[1::2]):
        print(record(code, name, tags))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
