r"""## What it does
Flags a script downloaded and executed in one go: `curl ... | sh`, `wget -O- ... | bash`
(also into `python`, `perl`, `ruby`, `node`, `php`, through `sudo` too), and
`sh -c "$(curl ...)"`, `bash <(curl ...)`, `eval "$(wget -O- ...)"`.  An interpreter run
with `-c CODE` only reads the download as data and is not flagged.

## Why is this bad?
Nothing checks what was executed: a compromised or hijacked server, or a truncated
download, runs arbitrary code as root in the build, and a later build may run a different
script than the one you reviewed.  Severity WARNING: an unverified remote script.

## Example
```dockerfile
FROM debian:12
RUN curl -fsSL https://example.com/install.sh | sh
```

## Use instead
```dockerfile
FROM debian:12
RUN curl -fsSLo /tmp/install.sh https://example.com/install.sh \
    && echo "3b2f...  /tmp/install.sh" | sha256sum -c - \
    && sh /tmp/install.sh
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.shell import (SHELL_NAMES, ShellCommand, locate, program, program_args,
                                              run_instructions, simple_commands)

_INTERPRETER = re.compile(r"^(python[0-9.]*|perl|ruby|node|php[0-9.]*)$")
_DOWNLOADERS = frozenset({"curl", "wget"})


def _runs_stdin(command: ShellCommand) -> bool:
    """True for a shell or interpreter that executes what it reads (no ``-c CODE``)."""
    name, args = program_args(command)
    return (name in SHELL_NAMES or name in ("eval", "source", ".") or bool(_INTERPRETER.match(name))) \
        and "-c" not in args and "-e" not in args


def _downloads_in_words(command: ShellCommand) -> bool:
    """True when an argument's ``$( )``/``<( )`` substitution runs curl or wget."""
    return any(program(c)[1] in _DOWNLOADERS for w in command.argv for sub in w.substitutions for c in sub.commands())


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per download executed without being saved and checked."""
    for instruction, run in run_instructions(dockerfile):
        for script in run.scripts():
            for pipeline in script.pipelines():
                simple = simple_commands(pipeline.commands)
                hit = next((c for i, c in enumerate(simple) if program(c)[1] in _DOWNLOADERS
                            and any(_runs_stdin(d) for d in simple[i + 1 :])), None)
                hit = hit or next((c for c in simple if program(c)[1] in (*SHELL_NAMES, "eval", "source", ".")
                                   and _downloads_in_words(c)), None)
                if hit is not None:
                    yield Violation(locate(instruction, run, script, hit),
                                    "a downloaded script is executed without being saved and verified")


RULE = rule(
    meta=RuleMeta(
        code="DF2022", name="download-piped-to-shell", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="A downloaded script is piped straight into a shell or interpreter",
        fix_title="Download to a file, verify its checksum or signature, then run it",
        tags=frozenset({"security", "supply-chain"}), security_severity=6.5,
    ),
    check=check,
)
