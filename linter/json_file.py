"""Read one JSON document a user names (a baseline, a shard report): every failure is a usage error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import UsageError


def load_json_file(path: Path, what: str, not_what: str) -> tuple[str, Any]:
    """The text of ``path`` and its JSON document; unreadable, not UTF-8 or malformed is one line naming the file (and line).

    ``what`` names the file when it cannot be read (``cannot read baseline``), ``not_what``
    when it is not one (``not a baseline file (...)``).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {what}: {exc.strerror}", path) from None
    except UnicodeDecodeError:
        raise UsageError(f"{not_what} (not UTF-8 text)", path) from None
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{not_what} ({exc.msg})", path, exc.lineno) from None
