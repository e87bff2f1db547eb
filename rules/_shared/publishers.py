"""The verdict of both unofficial-base-image rules (DF1002 on a FROM, IM1001 on a built image).

An image is fine when it is a Docker Official Image (on Docker Hub or one of its mirrors)
or under a trusted prefix.  Otherwise it is unofficial, and the ``verified-publishers``
option decides what an image of a verified publisher (the shipped list,
``linter/verified_publishers.txt``) gives: ``info`` a finding that names the publisher,
``ignore`` nothing, ``warn`` the same finding as any unknown image.
"""

from __future__ import annotations

from collections.abc import Iterable

from pylint_image.linter import Reference

from . import frozen
from .images import is_trusted

VERIFIED_CHOICES = ("info", "ignore", "warn")


class ChecksVerifiedChoice:
    """Base of the rules' option classes: an unknown ``verified-publishers`` value is refused
    when the options are built, which the config reports as its own error (exit 2, naming the
    rule), instead of a rule crash on every file."""

    __slots__ = ()

    def __new__(cls, *args: object, **kwargs: object) -> ChecksVerifiedChoice:
        # ``verified_publishers`` is the second field of both option classes.
        choice = kwargs.get("verified_publishers", args[1] if len(args) > 1 else "info")
        if choice not in VERIFIED_CHOICES:
            raise TypeError(f"option verified-publishers must be one of {', '.join(VERIFIED_CHOICES)}, "
                            f"not {choice!r}")
        return super().__new__(cls)


@frozen
class Unofficial:
    """An image that is neither official nor trusted; ``publisher`` when a verified one publishes it."""

    image: Reference
    publisher: str | None

    def message(self, origin: str = "") -> str:
        """The finding's text; ``origin`` says where the base name was read (image rule)."""
        where = f" ({origin})" if origin else ""
        if self.publisher is not None:
            return (f"base image '{self.image.name}'{where} is from a verified publisher ({self.publisher}) "
                    "but is not a Docker Official Image: add its registry/namespace to the trusted list "
                    "to record that you trust it")
        return (f"base image '{self.image.name}'{where} is not a Docker Official Image and "
                "its registry/namespace is not in the trusted list")


def judge(image: Reference, trusted: Iterable[str], verified_publishers: str = "info") -> Unofficial | None:
    """None when ``image`` needs no finding, else what to report about it."""
    if verified_publishers not in VERIFIED_CHOICES:
        raise ValueError(f"option verified-publishers must be one of {', '.join(VERIFIED_CHOICES)}, "
                         f"not {verified_publishers!r}")
    if image.is_official or is_trusted(image, trusted):
        return None
    publisher = image.verified_publisher
    if publisher is not None and verified_publishers == "ignore":
        return None
    return Unofficial(image, publisher if verified_publishers == "info" else None)
