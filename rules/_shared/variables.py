"""ARG/ENV values in scope for an instruction, and ``$VAR`` expansion, for the rules.

There is one expander and one scope walk: ``pylint_image.linter``'s (``linter/parse/variables.py``,
which documents BuildKit's expansion rules and how unknown values are kept).  This module
names them for the rules, so that a rule reads ``from pylint_image.rules._shared.variables
import expand, walk`` as before.

- ``walk(dockerfile, stage)`` yields each instruction with the ``Scope`` visible to it;
  ``scope_at`` copies it for one instruction; ``global_scope`` is the scope of FROM lines.
- ``expand(text, scope)`` expands one word as BuildKit does; a variable whose value is not
  known stays as written, so ``has_variables`` tells the rule the result is unknown.
- ``parse_assignments(instruction)`` gives the ``(name, value)`` pairs of an ARG or ENV.
- ``fork(scope, text)`` copies a scope to add shell variables to (``commands.run_commands``).
"""

from __future__ import annotations

from pylint_image.linter import Scope, expand, fork, global_scope, has_variables, parse_assignments, scope_at, walk

__all__ = ["Scope", "expand", "fork", "global_scope", "has_variables", "parse_assignments", "scope_at", "walk"]
