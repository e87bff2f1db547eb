#!/usr/bin/env python3
"""Regenerate docs/fidelity.md from the JSON the fidelity harness writes.

    PYLINT_IMAGE_FIDELITY_JSON=/tmp/fidelity.json python3 -m pytest -q tests/fidelity
    python3 scripts/gen_fidelity_doc.py /tmp/fidelity.json [docs/fidelity.md]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("entrypoint", "state", "ports", "uid", "health", "stop", "oom")

HEADER = """# Fidelity: verify's verdicts against Docker's

Every case below is a realistic image built on a Debian bookworm base (`scripts/debian-base.sh`:
`debootstrap --variant=minbase` from the machine's own Debian mirror, imported as
`pylint-image-test/debian:bookworm`; service images add python3, nginx, sudo, curl, busybox or gcc
with apt).  The harness in `tests/fidelity/` runs each image under Docker and records the ground
truth (listening sockets read inside the container's network namespace with `nsenter -t PID -n`;
exit code and OOMKilled from `docker inspect`; the `docker stop -t 3` duration; the health status;
uid, env and cwd of PID 1 from `/proc`), then runs `pylint-image verify --image docker-daemon:TAG
--format json --grace 3` on the same image and maps both to one vocabulary:

| field | values |
|---|---|
| entrypoint | `ok`, `not-found`, `not-executable`, `interpreter-missing` |
| state | `running`, `exit N`, `signal N`, `not started` |
| ports | per port: `listening`, `loopback-only`, `not-listening`, `undeclared` |
| uid | the uid of PID 1 |
| health | `healthy`, `unhealthy` |
| stop | `stopped` (exits within the grace period), `ignored` (killed) |
| oom | `oom-killed`, `no` |

Each case asserts only its own fields; any disagreement fails the test with both sides printed.
A case marked *xfail* waits for a fix and fails the moment the fix lands (strict).

Regenerate this page with:

    PYLINT_IMAGE_FIDELITY_JSON=/tmp/fidelity.json python3 -m pytest -q tests/fidelity
    python3 scripts/gen_fidelity_doc.py /tmp/fidelity.json

"""


def _value(field: str, value: object) -> str:
    if value is None:
        return "-"
    if field == "ports" and isinstance(value, dict):
        return ", ".join(f"{port} {state}" for port, state in value.items()) or "none"
    return str(value)


def _side(verdict: dict) -> str:
    text = "<br>".join(f"{field}: {_value(field, verdict[field])}" for field in FIELDS if field in verdict)
    # Per-run noise (sandbox directories, content-hash tags) would make every regeneration a diff.
    text = re.sub(r"/tmp/pylint-image-sandbox-\w+", "/tmp/pylint-image-sandbox-…", text)
    return re.sub(r"(pylint-image-test/fidelity-[\w.-]+):[0-9a-f]{12}", r"\1", text)


def _seen(record: dict) -> str:
    """What Docker showed besides the verdicts: PID 1, its cwd and HOME, the stop time, the exit code."""
    parts = []
    pid1 = record.get("pid1") or {}
    if pid1:
        parts.append(f"PID 1 `{pid1.get('comm')}` {pid1.get('uid')}:{pid1.get('gid')}, cwd `{pid1.get('cwd')}`, "
                     f"HOME `{pid1.get('env', {}).get('HOME', '-')}`")
    if record.get("stop_s") is not None:
        parts.append(f"docker stop {record['stop_s']:.1f} s")
    if record.get("exit_code") is not None:
        parts.append(f"exit code {record['exit_code']}" + (", OOMKilled" if record.get("oom_killed") else ""))
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(data: dict) -> str:
    cases = data["cases"]
    agree = sum(1 for c in cases if c["agree"])
    lines = [HEADER,
             f"Last run: {data['docker_version']}; {len(cases)} cases, {agree} agree; "
             f"images built in {data['build_s']} s, observed in {data['observe_s']} s "
             f"(Docker side {data['docker_total_s']} s, verify {data['verify_total_s']} s in total, "
             f"ratio {data['verify_total_s'] / max(data['docker_total_s'], 0.1):.2f}; cases run "
             f"{data.get('jobs', '?')} at a time).",
             "", "| case | claim | Docker | verify | agree |", "|---|---|---|---|---|"]
    for case in cases:
        verdict = "yes" if case["agree"] else ("no (xfail: " + case["xfail"] + ")" if case["xfail"] else "**no**")
        if case["agree"] and case["xfail"]:
            verdict = "yes (fix landed: remove the xfail)"
        lines.append(f"| `{case['name']}` | {_cell(case['claim'])} | "
                     f"{_cell(_side(case['docker']))}<br>*{_cell(_seen(case['docker_record']))}* | "
                     f"{_cell(_side(case['verify']))} | {_cell(verdict)} |")
    notes = [c for c in cases if c.get("docker_note")]
    if notes:
        lines += ["", "## Where Docker's behaviour depends on its version", "",
                  f"Observed with {data['docker_version']}.", ""]
        lines += [f"- `{c['name']}`: {c['docker_note']}." for c in notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    data = json.loads(Path(argv[0]).read_text())
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "fidelity.md"
    out.write_text(render(data))
    print(f"wrote {out} ({len(data['cases'])} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
