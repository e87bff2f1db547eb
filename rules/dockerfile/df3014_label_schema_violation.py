"""## What it does
Checks `LABEL` values against a label schema: the OCI annotations whose format the
image spec fixes (`org.opencontainers.image.created` is an RFC 3339 time, `.source`,
`.url` and `.documentation` are URLs, `.licenses` is an SPDX expression) and, when
configured, your own labels, the labels every final image must carry, and whether
other labels are allowed.  Values that use unresolved variables are not judged.  Each
problem is its own finding with hadolint's id for it: a missing required label `DL3049`, a
label outside the schema `DL3050`, an empty one `DL3051`, a value that is not a URL
`DL3052`, an RFC 3339 time `DL3053`, an SPDX expression `DL3054`, a git hash `DL3055`, a
semantic version `DL3056` or an e-mail address `DL3058`.

## Why is this bad?
Registries, SBOM and provenance tools parse these labels: a `created` of `yesterday` or
a `source` without a scheme is dropped or breaks the consumer.  Severity WARNING: the
image builds, but its metadata is wrong or missing.

## Example
```dockerfile
FROM alpine:3.20
LABEL org.opencontainers.image.source="github.com/acme/app"
```

## Use instead
```dockerfile
FROM alpine:3.20
LABEL org.opencontainers.image.source="https://github.com/acme/app"
```

## Options
- `schema` (table label → `text`, `url`, `email`, `rfc3339`, `semver`, `hash`, `spdx`):
  formats to check, on top of the OCI ones (hadolint's `label-schema`).
- `required` (list): labels the final stage must have (hadolint requires every schema label).
- `strict` (bool, default `false`): report labels in neither `schema` nor `required`.

## References
- https://github.com/opencontainers/image-spec/blob/main/annotations.md
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.images import stage_chain
from pylint_image.rules._shared.labels import WELL_KNOWN, conforms, label_pairs
from pylint_image.rules._shared.variables import expand, has_variables, walk
from pylint_image.rules._shared import frozen

_WHAT = {"url": "a valid URL", "email": "a valid e-mail address", "rfc3339": "an RFC 3339 date-time",
         "semver": "a semantic version", "hash": "a git commit hash", "spdx": "an SPDX license expression"}
# hadolint's id for each problem: a malformed value of each format, empty, superfluous, missing
_DL = {"url": "DL3052", "rfc3339": "DL3053", "spdx": "DL3054", "hash": "DL3055", "semver": "DL3056",
       "email": "DL3058", "empty": "DL3051", "superfluous": "DL3050", "missing": "DL3049"}


@frozen
class Options:
    """Options of label-schema-violation."""

    schema: dict = field(default_factory=dict)
    required: tuple[str, ...] = ()
    strict: bool = False


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield violations for malformed, empty, superfluous and missing labels."""
    opts = ctx.options or Options()
    schema = {**WELL_KNOWN, **{str(k): str(v).lower() for k, v in dict(opts.schema).items()}}
    declared = set(opts.schema) | set(opts.required)
    final = dockerfile.final_stage
    shipped = {s.index for s in stage_chain(dockerfile, final)} if final else set()
    present: set[str] = set()
    for stage in dockerfile.stages:
        if not any(i.keyword == "LABEL" for i in stage.instructions):
            continue  # no LABEL: skip resolving the stage's scope
        for instruction, scope in walk(dockerfile, stage):
            if instruction.keyword != "LABEL":
                continue
            for key, raw in label_pairs(instruction):
                if stage.index in shipped:
                    present.add(key)
                value = expand(raw, scope)
                if opts.strict and key not in declared:
                    problem, kind = f"label '{key}' is not in the label schema", "superfluous"
                elif has_variables(value) or key not in schema and key not in declared:
                    continue  # unknown value, or a label nobody described
                elif not value.strip():
                    problem, kind = f"label '{key}' is empty", "empty"
                elif not conforms(value.strip(), schema.get(key, "text")):
                    kind = schema[key]
                    problem = f"label '{key}' is not {_WHAT[kind]}: '{value}'"
                else:
                    continue
                yield Violation(instruction.keyword_span, problem, tool_ids=(_DL[kind],))
    if final is not None:
        for label in opts.required:
            if label not in present:
                yield Violation(final.from_instruction.keyword_span,
                                f"the final image lacks the required label '{label}'", tool_ids=(_DL["missing"],))


RULE = rule(
    meta=RuleMeta(
        code="DF3014", name="label-schema-violation", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="A label is malformed, empty, missing or not in the label schema",
        fix_title="Give the label a value in the expected format",
        tags=frozenset({"metadata"}), options=Options,
        aliases=("DL3049", "DL3050", "DL3051", "DL3052", "DL3053", "DL3054", "DL3055", "DL3056", "DL3058"), exact_tool_ids=True,
    ),
    check=check,
)
