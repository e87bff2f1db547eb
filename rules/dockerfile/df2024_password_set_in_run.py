r"""## What it does
Flags a `RUN` that sets an account password from text the build can see: `chpasswd`
(`echo 'root:secret' | chpasswd`), `passwd --stdin` or a password piped into `passwd`,
and `useradd`/`usermod -p`/`--password`.  A `RUN` with a secret mount
(`--mount=type=secret`) is not flagged: the password then comes from the secret.

## Why is this bad?
The `RUN` command line is kept in the image history (`docker history --no-trunc`), and so
are the `ARG` values it uses: anyone who can pull the image reads the password, or the
hash given to `-p` or `chpasswd -e`, which can be cracked offline.  A password an image
ships is also the same on every container started from it.
Severity WARNING: a credential leaked to every image user, though some images set a throwaway one on purpose.

## Example
```dockerfile
FROM debian:12
RUN useradd -m app && echo 'app:s3cret' | chpasswd
```

## Use instead
```dockerfile
FROM debian:12
RUN --mount=type=secret,id=app_password \
    useradd -m app && printf 'app:%s\n' "$(cat /run/secrets/app_password)" | chpasswd
```

## References
- https://docs.docker.com/build/building/secrets/
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pylint_image.linter import Context, Dockerfile, Instruction, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.shell import commands_of, locate, program_args, run_instructions

_PASSWORD_FLAGS = ("-p", "--password")


def _sets_password(name: str, args: Sequence[str], piped: bool) -> str | None:
    """Describe how this command sets a password from visible text, if it does."""
    if name in ("chpasswd", "chgpasswd"):
        return name
    if name == "passwd" and ("--stdin" in args or piped):
        return "passwd --stdin" if "--stdin" in args else "a password piped into passwd"
    if name in ("useradd", "usermod") and any(w in _PASSWORD_FLAGS or w.startswith("--password=") for w in args):
        return f"{name} --password"
    return None


def _has_secret_mount(run: Instruction) -> bool:
    return any(f.name == "mount" and "type=secret" in (f.value or "") for f in run.flags)


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per RUN that sets a password (the first such command)."""
    for instruction, run in run_instructions(dockerfile):
        if _has_secret_mount(run):
            continue
        # commands that read a pipe: ``echo pw | passwd`` sets the password from the echo
        piped = {id(c) for s in run.scripts() for p in s.pipelines() for c in p.commands[1:]}
        for script, command in commands_of(run):
            name, args = program_args(command)
            what = _sets_password(name, args, id(command) in piped)
            if what is not None:
                yield Violation(locate(instruction, run, script, command),
                                f"{what} sets a password in a RUN, kept in the image history: "
                                "read it from a secret mount, or lock the account")
                break


RULE = rule(
    meta=RuleMeta(
        code="DF2024", name="password-set-in-run", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="A RUN sets an account password, which the image history keeps",
        fix_title="Read the password from RUN --mount=type=secret, or leave the account locked",
        tags=frozenset({"security"}), aliases=("CKV2_DOCKER_17",), security_severity=6.5,
    ),
    check=check,
)
