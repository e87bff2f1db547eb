"""## What it does
Flags a `RUN` with a pipe (`a | b`) whose failure would go unnoticed: neither the stage's
`SHELL` (`SHELL ["/bin/bash", "-o", "pipefail", "-c"]`, also inherited from a stage built
`FROM` an earlier one) nor a `set -o pipefail` earlier in the same script turns on
`pipefail`.  Pipes inside `$( )` count; heredoc bodies are checked as scripts.  Not judged
after a non-POSIX `SHELL` (PowerShell, cmd).

With the default `/bin/sh`: on Alpine (busybox ash) `set -o pipefail` works in the `RUN`
itself; on Debian and Ubuntu `/bin/sh` is dash, whose releases before 0.5.13 reject
`set -o pipefail`, so switch the `SHELL` to bash there.  A `set -o pipefail` the shell
rejects fails the build loudly, so any `set -o pipefail` present is trusted.

## Why is this bad?
A pipeline's exit status is that of its last command: `curl -f URL | tar -xz` succeeds
when the download fails and `tar` reads an empty stream, and the image is built broken.
Severity WARNING: a silently broken build step.

## Example
```dockerfile
FROM debian:12
RUN wget -qO- https://example.com/tool.tgz | tar -xz -C /opt
```

## Use instead
```dockerfile
FROM debian:12
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN wget -qO- https://example.com/tool.tgz | tar -xz -C /opt
```

## References
- https://docs.docker.com/build/building/best-practices/#using-pipes
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Instruction, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.images import stage_chain
from pylint_image.rules._shared.shell import Script, ShellNode, locate

_PIPEFAIL_SHELLS = frozenset({"bash", "zsh", "ash", "ksh", "mksh", "sh", "busybox"})
_NON_POSIX = ("pwsh", "powershell", "cmd")


def _shell_state(instruction: Instruction) -> str:
    """'pipefail', 'non-posix' or 'plain' for a SHELL instruction's JSON argv."""
    argv = [a.text for a in instruction.args]
    prog = argv[0].replace("\\", "/").rsplit("/", 1)[-1].lower() if argv else ""
    if prog.startswith(_NON_POSIX):
        return "non-posix"
    clustered = any(w.startswith("-") and not w.startswith("--") and "o" in w and nxt == "pipefail"
                    for w, nxt in zip(argv, argv[1:]))
    ok = prog in _PIPEFAIL_SHELLS and (clustered or "-opipefail" in argv)
    return "pipefail" if ok else "plain"


def _first_unguarded_pipe(script: Script) -> ShellNode | None:
    """The first command of a pipe that no earlier ``set -o pipefail`` covers, if any."""
    guard = min((c.start for c in script.commands() if c.sets_pipefail()), default=None)
    for pipeline in script.pipelines():
        first = pipeline.commands[0]
        if pipeline.is_pipe and (guard is None or first.start < guard):
            return first
    return None


def _advice(dockerfile: Dockerfile, stage_index: int) -> str:
    *_, root = stage_chain(dockerfile, dockerfile.stages[stage_index])
    base = f"{root.base.repository}:{root.base.tag or ''}".lower()
    if "alpine" in base or "busybox" in base:
        return "add 'set -o pipefail &&' (busybox ash supports it) or SHELL [\"/bin/ash\", \"-eo\", \"pipefail\", \"-c\"]"
    return "use SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"] (dash, Debian's /bin/sh, has no pipefail)"


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per RUN with a pipe not covered by pipefail."""
    end_state: dict[int, str] = {}
    for stage in dockerfile.stages:
        # SHELL is image config: a stage built FROM an earlier stage starts with its shell.
        parent = dockerfile.stage(stage.base.resolved) if stage.base.is_stage_alias else None
        state = end_state.get(parent.index, "plain") if parent is not None and parent.index < stage.index else "plain"
        for instruction in stage.instructions:
            if instruction.keyword == "SHELL" and instruction.form == "exec":
                state = _shell_state(instruction)
            run = instruction.onbuild if instruction.keyword == "ONBUILD" else instruction
            if state != "plain" or run is None or run.keyword != "RUN":
                continue
            for script in run.scripts():
                node = _first_unguarded_pipe(script)
                if node is not None:
                    yield Violation(locate(instruction, run, script, node),
                                    "a failure before the last command of this pipe is ignored: "
                                    + _advice(dockerfile, stage.index))
                    break
        end_state[stage.index] = state


RULE = rule(
    meta=RuleMeta(
        code="DF2004", name="pipe-without-pipefail", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="A RUN pipes commands without pipefail, so a failing stage of the pipe is ignored",
        fix_title='Set SHELL ["/bin/bash", "-o", "pipefail", "-c"] or run `set -o pipefail` first',
        tags=frozenset({"shell", "correctness"}), aliases=("DL4006", "DS032"),
    ),
    check=check,
)
