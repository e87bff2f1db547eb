"""## What it does
Flags a `RUN` that logs a cloud or registry CLI in with a credential:
`aws configure set aws_secret_access_key ...` (or `aws_session_token`),
`gcloud auth activate-service-account --key-file ...`, `az login -p`/`--password`, and
`docker login -p`/`--password`.  Not flagged when the `RUN` takes the credential from a
secret mount (`--mount=type=secret`) and removes what the CLI stored (`~/.aws`,
`~/.config/gcloud`, `~/.azure`, `~/.docker`) before it ends.

## Why is this bad?
A secret on the command line is kept in the image history, with the `ARG` values it
uses; and each CLI writes the credential to a file in the home directory, which the layer
keeps even when a later `RUN` deletes it.  Anyone who can pull the image can use the
account.
Severity ERROR: a live cloud credential shipped to every image user.

## Example
```dockerfile
FROM amazon/aws-cli:2.17.0
ARG AWS_SECRET
RUN aws configure set aws_secret_access_key "$AWS_SECRET" && aws s3 cp s3://bucket/app.tgz /tmp/
```

## Use instead
```dockerfile
FROM amazon/aws-cli:2.17.0
RUN --mount=type=secret,id=aws,target=/root/.aws/credentials aws s3 cp s3://bucket/app.tgz /tmp/
```

## References
- https://docs.docker.com/build/building/secrets/
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pylint_image.linter import Context, Dockerfile, Instruction, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.shell import commands_of, locate, positional, program_args, run_instructions

_AWS_SECRETS = frozenset({"aws_secret_access_key", "aws_session_token"})
_STORES = {"aws": ".aws", "gcloud": ".config/gcloud", "az": ".azure", "docker": ".docker"}


def _password_option(args: Sequence[str]) -> bool:
    return any(w in ("-p", "--password") or w.startswith("--password=") for w in args)


def _login(name: str, args: Sequence[str]) -> str | None:
    """Describe how this command logs a CLI in with a credential, if it does."""
    ops = positional(args)
    if name == "aws" and ops[:2] == ["configure", "set"] and len(ops) > 2 \
            and ops[2].rsplit(".", 1)[-1].lower() in _AWS_SECRETS:
        return f"aws configure set {ops[2]}"
    if name == "gcloud" and ops[:3] == ["auth", "activate-service-account"] \
            and any(w == "--key-file" or w.startswith("--key-file=") for w in args):
        return "gcloud auth activate-service-account --key-file"
    if name in ("az", "docker") and ops[:1] == ["login"] and _password_option(args):
        return f"{name} login --password"
    return None


def _cleaned(run: Instruction, tool: str) -> bool:
    """True when the RUN has a secret mount and removes the CLI's credential store."""
    if not any(f.name == "mount" and "type=secret" in (f.value or "") for f in run.flags):
        return False
    store = _STORES[tool]
    return any(program_args(c)[0] == "rm" and any(w.rstrip("/").endswith(store) for w in c.args)
               for _, c in commands_of(run))


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per RUN that logs a CLI in with a credential (the first such command)."""
    for instruction, run in run_instructions(dockerfile):
        for script, command in commands_of(run):
            name, args = program_args(command)
            what = _login(name, args)
            if what is not None and not _cleaned(run, name):
                yield Violation(locate(instruction, run, script, command),
                                f"{what} keeps a credential in the image (history and {_STORES[name]}): "
                                "use a secret mount")
                break


RULE = rule(
    meta=RuleMeta(
        code="DF2025", name="cloud-login-in-run", severity=Severity.ERROR, target=Target.DOCKERFILE,
        summary="A RUN logs a cloud or registry CLI in with a credential that the image keeps",
        fix_title="Mount the credential with RUN --mount=type=secret instead of logging in",
        tags=frozenset({"security"}), aliases=("DS031",), security_severity=8.0,
    ),
    check=check,
)
