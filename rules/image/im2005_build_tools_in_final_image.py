"""## What it does
Flags compilers and build tools (gcc, g++, cc, clang, make, rustc, javac, go) and large
sets of C headers (`-dev` packages under `/usr/include`) in the final image.  With
`--dockerfile`, the ones the base image brought are reported once at the `FROM` line
("inherited from the base image"), apart from what your own instructions installed.

## Why is this bad?
Toolchains add hundreds of megabytes and give an attacker who gets a shell everything
needed to build exploits.  A multi-stage build compiles in a builder stage and copies only
the results into a slim final stage.

## Example
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y build-essential libssl-dev && make -C /src
```

## Use instead
```dockerfile
FROM debian:12 AS build
RUN apt-get update && apt-get install -y build-essential libssl-dev && make -C /src
FROM debian:12-slim
COPY --from=build /src/app /usr/local/bin/app
```

## Options
- `max-headers` (default 200): how many `.h` files under `/usr/include` are tolerated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import (
    Context,
    RuleMeta,
    Severity,
    Target,
    Violation,
    rule,
)
from pylint_image.rules._shared import frozen
from pylint_image.rules._shared.layers import INHERITED, at_layer, base_layers, path_list

if TYPE_CHECKING:
    from pylint_image.linter import Image

_TOOLS = re.compile(r"^/usr/(local/)?bin/((?:[\w-]+-)?(gcc|g\+\+|cc|c\+\+|clang|clang\+\+)"
                    r"(-[\d.]+)?|make|rustc|javac)$|^/usr/local/go/bin/go$")
_TOOL_DIRS = ("/usr/bin/", "/usr/local/bin/", "/usr/local/go/bin/")
_WANTED = _TOOL_DIRS + ("/usr/include/",)


@frozen
class Options:
    """Settings of build-tools-in-final-image."""

    max_headers: int = 200


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per build tool, one for a large header tree, the base's grouped."""
    base = base_layers(ctx)
    inherited: dict[str, int] = {}
    headers: dict[bool, list[int]] = {True: [], False: []}
    # What can be a tool or a header (_TOOLS matches only under _TOOL_DIRS), in walk order:
    # cheaper than walking every entry under /usr.
    files = image.files
    for entry in files.in_walk_order(e for e in files.entries.values() if e.path.startswith(_WANTED)):
        path = entry.path
        tool = path.startswith(_TOOL_DIRS) and _TOOLS.match(path)
        if not tool and not (path.startswith("/usr/include/") and path.endswith(".h")):
            continue
        if entry.kind.value == "dir":
            continue
        if tool:
            if entry.layer_index in base:
                inherited[entry.path] = entry.layer_index
                continue
            yield Violation(at_layer(image, ctx, entry.layer_index, entry.path),
                            f"build tool {entry.path} is in the final image")
        else:   # a C header
            headers[entry.layer_index in base].append(entry.layer_index)
    if inherited:
        yield Violation(at_layer(image, ctx, min(inherited.values())),
                        f"build tools {INHERITED}: {path_list(inherited)}")
    limit = (ctx.options or Options()).max_headers
    for from_base, layers in headers.items():
        if len(layers) > limit:
            where = f" {INHERITED}" if from_base else " in the final image"
            yield Violation(at_layer(image, ctx, max(layers), "/usr/include"),
                            f"{len(layers)} C headers under /usr/include (-dev packages){where}")


RULE = rule(meta=RuleMeta(code="IM2005", name="build-tools-in-final-image", severity=Severity.INFO,
                          target=Target.IMAGE, summary="Compilers or -dev headers are in the final image",
                          fix_title="Build in a separate stage and copy only the artifacts",
                          tags=frozenset({"image-size", "security"}),
                          options=Options),
            check=check)
