"""Label values against the formats of hadolint's label schema (text, url, email, rfc3339, semver, hash, spdx)."""

from __future__ import annotations

import re
from datetime import datetime

from pylint_image.linter import Instruction

from .variables import parse_assignments

FORMATS = ("text", "url", "email", "rfc3339", "semver", "hash", "spdx")
# The OCI image-spec annotations (and label-schema.org's) whose format their spec fixes.
WELL_KNOWN = {
    "org.opencontainers.image.created": "rfc3339", "org.opencontainers.image.url": "url",
    "org.opencontainers.image.source": "url", "org.opencontainers.image.documentation": "url",
    "org.opencontainers.image.licenses": "spdx", "org.label-schema.build-date": "rfc3339",
    "org.label-schema.url": "url", "org.label-schema.vcs-url": "url", "org.label-schema.usage": "url",
}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//)?[^\s/]\S*$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
                     r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
_HASH = re.compile(r"^(?:[0-9a-fA-F]{7,40}|[0-9a-fA-F]{64})$")
_SPDX_TOKEN = re.compile(r"\s*(\(|\)|[A-Za-z0-9][A-Za-z0-9.:+-]*)")


def label_pairs(instruction: Instruction) -> list[tuple[str, str]]:
    """``(key, value)`` of a LABEL, quotes removed; the legacy ``LABEL key value`` form included."""
    pairs = parse_assignments(instruction)
    if len(pairs) > 1 and pairs[0][1] is None and "=" not in instruction.value_after_flags.split(None, 1)[0]:
        return [(pairs[0][0], " ".join(n for n, _ in pairs[1:]))]  # legacy form: key, then the value words
    return [(name, value or "") for name, value in pairs]


def _spdx(value: str) -> bool:
    """True for an SPDX license expression: ids joined by AND/OR, ``WITH`` exceptions, parentheses."""
    tokens, pos = [], 0
    while pos < len(value.rstrip()):
        match = _SPDX_TOKEN.match(value, pos)
        if not match:
            return False
        tokens.append(match.group(1))
        pos = match.end()
    expect_id, depth, prev = True, 0, ""
    for token in tokens:
        upper = token.upper()
        if token == "(" and expect_id:
            depth += 1
        elif token == ")" and not expect_id and depth:
            depth -= 1
        elif upper in ("AND", "OR") and not expect_id or upper == "WITH" and not expect_id and prev != ")":
            expect_id = True
        elif expect_id and upper not in ("AND", "OR", "WITH") and token not in "()":
            expect_id = False
        else:
            return False
        prev = token
    return bool(tokens) and not expect_id and depth == 0


def conforms(value: str, kind: str) -> bool:
    """True when ``value`` has the format ``kind`` (``text`` accepts anything)."""
    if kind == "url":
        return bool(_URL.match(value))
    if kind == "email":
        return bool(_EMAIL.match(value))
    if kind == "rfc3339":
        if not _RFC3339.match(value):
            return False
        try:
            datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
        except ValueError:  # e.g. month 13: the shape is right, the date is not
            return False
        return True
    if kind == "semver":
        return bool(_SEMVER.match(value))
    if kind == "hash":
        return bool(_HASH.match(value))
    if kind == "spdx":
        return _spdx(value)
    return True
