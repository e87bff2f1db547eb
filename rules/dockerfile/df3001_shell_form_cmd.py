"""## What it does
Flags `CMD` and `ENTRYPOINT` written in shell form (`CMD python app.py`) rather than exec
form (`CMD ["python", "app.py"]`).  A shell form that starts with `exec` is accepted: the
shell replaces itself with the program, which then receives signals.

## Why is this bad?
Shell form runs `/bin/sh -c "..."`, so the shell is PID 1 and your program is its child:
`docker stop` sends SIGTERM to the shell, which does not forward it, and the container is
killed after the timeout instead of shutting down cleanly.  An `ENTRYPOINT` in shell form
also ignores `CMD` and `docker run` arguments.  Severity WARNING: lost signals mean lost
in-flight work and slow deploys.

## Example
```dockerfile
FROM python:3.12-slim
CMD python -m http.server
```

## Use instead
```dockerfile
FROM python:3.12-slim
CMD ["python", "-m", "http.server"]
```

## References
- https://docs.docker.com/reference/dockerfile/#shell-and-exec-form
- https://docs.docker.com/reference/build-checks/json-args-recommended/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per CMD/ENTRYPOINT in shell form."""
    for instruction in dockerfile.instructions():
        if instruction.keyword not in ("CMD", "ENTRYPOINT") or instruction.form != "shell":
            continue
        words = instruction.value_after_flags.split()
        # ``exec prog`` makes the shell replace itself: prog becomes PID 1 and gets signals.
        if not words or words[0] == "exec":
            continue
        yield Violation(instruction.span if instruction.span.single_line else instruction.keyword_span,
                        f"{instruction.keyword} in shell form runs under /bin/sh -c, which does not "
                        "forward signals: use the JSON exec form")


RULE = rule(
    meta=RuleMeta(
        code="DF3001", name="shell-form-cmd", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="CMD or ENTRYPOINT in shell form", fix_title='Use exec form: CMD ["prog", "arg"]',
        tags=frozenset({"runtime", "signals"}), aliases=("DL3025", "JSONArgsRecommended"),
    ),
    check=check,
)
