"""Shell scripts (shell-form RUN and heredoc bodies) parsed once, for all rules.

The modules depend on each other in one direction only: ``ast`` (the node types) <- ``words``
(reads one word) <- ``parser`` (``parse_shell``) <- ``attach`` (heredoc bodies of a RUN).
"""

from __future__ import annotations

from .ast import Command, Group, Pipeline, Redirect, ShellList, ShellScript, Word
from .attach import SHELLS, attach_heredoc_shells, interpreter_is_shell
from .parser import parse_shell

__all__ = [
    "SHELLS", "Command", "Group", "Pipeline", "Redirect", "ShellList", "ShellScript", "Word",
    "attach_heredoc_shells", "interpreter_is_shell", "parse_shell",
]
