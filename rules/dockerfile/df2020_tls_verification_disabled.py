"""## What it does
Flags anything that turns off TLS certificate verification: `curl -k`/`--insecure`,
`wget --no-check-certificate`, `pip --trusted-host` (or `pip config set ... trusted-host`),
`npm`/`yarn`/`pnpm config set strict-ssl false`, `git -c http.sslVerify=false` and
`git config http.sslVerify false`, `yum-config-manager`/`dnf config-manager
--setopt=sslverify=0`, `go get -insecure`, and the variables `GIT_SSL_NO_VERIFY`, `PIP_TRUSTED_HOST`,
`NODE_TLS_REJECT_UNAUTHORIZED=0`, `PYTHONHTTPSVERIFY=0`, `NPM_CONFIG_STRICT_SSL=false`,
`YARN_ENABLE_STRICT_SSL=false`, `GOINSECURE`, `GOFLAGS=-insecure`, set by `ENV`, `ARG`
(with a default), in a `RUN` or with `go env -w`.  (`GONOSUMDB`/`GOSUMDB=off` turn off
checksum verification, not TLS, and private modules need them: not judged here.)
Each finding carries Checkov's id for what it found (`CKV2_DOCKER_2` curl, `_3` wget,
`_4` pip, `_5` `PYTHONHTTPSVERIFY`, `_6` `NODE_TLS_REJECT_UNAUTHORIZED`, `_12`
`NPM_CONFIG_STRICT_SSL`, `_13` npm/yarn config, `_14` `GIT_SSL_NO_VERIFY`, `_15` yum/dnf
`sslverify`, `_16` `PIP_TRUSTED_HOST`); git and Go settings have none.

## Why is this bad?
Without verification anyone on the network path (a proxy, a hijacked DNS answer, a
compromised mirror) can serve their own file or package and it is built into the image.
Variables set by `ENV` also stay on at runtime, for every connection the app makes.
Severity ERROR: an open door for a man-in-the-middle supply-chain attack.

## Example
```dockerfile
FROM debian:12
RUN curl -kfsSLo /tmp/tool.tgz https://example.com/tool.tgz
```

## Use instead
```dockerfile
FROM debian:12
COPY corp-ca.crt /usr/local/share/ca-certificates/
RUN update-ca-certificates && curl -fsSLo /tmp/tool.tgz https://example.com/tool.tgz
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Instruction, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.insecure import tls_command, tls_variable
from pylint_image.rules._shared.shell import commands_of, locate, program, run_instructions
from pylint_image.rules._shared.variables import parse_assignments

_EXPORTERS = frozenset({"export", "declare", "typeset", "readonly", "env"})
# Checkov's id for each kind of finding, by the variable set or the command that does it
_CHECKOV_VARIABLES = {"PYTHONHTTPSVERIFY": "CKV2_DOCKER_5", "NODE_TLS_REJECT_UNAUTHORIZED": "CKV2_DOCKER_6",
                      "NPM_CONFIG_STRICT_SSL": "CKV2_DOCKER_12", "GIT_SSL_NO_VERIFY": "CKV2_DOCKER_14",
                      "PIP_TRUSTED_HOST": "CKV2_DOCKER_16"}
_CHECKOV_COMMANDS = {"curl": "CKV2_DOCKER_2", "wget": "CKV2_DOCKER_3", "pip": "CKV2_DOCKER_4",
                     "npm": "CKV2_DOCKER_13", "yarn": "CKV2_DOCKER_13", "pnpm": "CKV2_DOCKER_13",
                     "yum-config-manager": "CKV2_DOCKER_15", "dnf": "CKV2_DOCKER_15"}


def checkov_ids(what: str) -> tuple[str, ...]:
    """Checkov's id for a description from ``tls_variable``/``tls_command`` (none for git -c, Go...)."""
    what = what.removeprefix("go env -w ")
    if "=" in what.split(" ", 1)[0]:
        found = _CHECKOV_VARIABLES.get(what.split("=", 1)[0].upper())
    else:
        found = _CHECKOV_COMMANDS.get(what.split(" ", 1)[0])
    return (found,) if found else ()


def _variables(instruction: Instruction) -> Iterator[Violation]:
    """Findings for ENV/ARG instructions that set a verification-disabling variable."""
    for name, value in parse_assignments(instruction):
        what = tls_variable(name, value) if value is not None else None
        if what is not None:
            arg = next((a for a in instruction.args if a.text.startswith(name)), None)
            yield Violation(anchor(instruction, arg.span if arg else None),
                            f"{instruction.keyword} {what} turns off TLS certificate verification",
                            tool_ids=checkov_ids(what))


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per command or variable that disables TLS verification."""
    for instruction in dockerfile.instructions():
        if instruction.keyword in ("ENV", "ARG"):
            yield from _variables(instruction)
    for instruction, run in run_instructions(dockerfile):
        for script, command in commands_of(run):
            index, name = program(command)
            words = [w.text for w in command.assignments] + list(command.args[:index])
            if name in _EXPORTERS:
                words += list(command.args[index + 1 :])
            what = next((w for w in (tls_variable(*t.split("=", 1)) for t in words if "=" in t) if w), None)
            what = what or tls_command(name, command.args[index + 1 :])
            if what is not None:
                yield Violation(locate(instruction, run, script, command),
                                f"{what} turns off TLS certificate verification", tool_ids=checkov_ids(what))


RULE = rule(
    meta=RuleMeta(
        code="DF2020", name="tls-verification-disabled", severity=Severity.ERROR, target=Target.DOCKERFILE,
        summary="TLS certificate verification is turned off for a download or tool",
        fix_title="Keep verification on; add the needed CA certificate instead",
        tags=frozenset({"security", "supply-chain"}), security_severity=7.5,
        aliases=("CKV2_DOCKER_2", "CKV2_DOCKER_3", "CKV2_DOCKER_4", "CKV2_DOCKER_5", "CKV2_DOCKER_6",
                 "CKV2_DOCKER_12", "CKV2_DOCKER_13", "CKV2_DOCKER_14", "CKV2_DOCKER_15", "CKV2_DOCKER_16"), exact_tool_ids=True,
    ),
    check=check,
)
