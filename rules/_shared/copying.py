"""COPY/ADD operands: the source paths and the destination, with heredoc sources set apart."""

from __future__ import annotations

from pylint_image.linter import Arg, Instruction

ARCHIVE_SUFFIXES = (".tar", ".z", ".bz2", ".gz", ".lz", ".lzma", ".tz", ".tb2", ".tbz", ".tbz2", ".tgz",
                    ".tlz", ".tpz", ".txz", ".xz", ".zst", ".tzst")
_REMOTE_PREFIXES = ("http://", "https://", "git@", "git://")


def unquote(text: str) -> str:
    """Drop one pair of surrounding quotes, as the Dockerfile parser does for paths."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def operands(instruction: Instruction) -> tuple[list[Arg], Arg | None]:
    """Return ``(sources, destination)`` of a COPY or ADD; heredoc sources (``<<EOF``) are left out."""
    args = list(instruction.args)
    if len(args) < 2:
        return [], None
    sources = [a for a in args[:-1] if not a.text.startswith("<<")]
    return sources, args[-1]


def is_remote(path: str) -> bool:
    """True for a URL or git source, which ADD fetches instead of reading the build context."""
    return unquote(path).lower().startswith(_REMOTE_PREFIXES)


def is_archive(path: str) -> bool:
    """True when the name ends like a tar archive or a compressed file ADD would unpack."""
    return unquote(path).lower().endswith(ARCHIVE_SUFFIXES)
