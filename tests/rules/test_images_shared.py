"""rules/_shared/images.py: trusted prefixes and floating tags, on the linter's one Reference."""

from __future__ import annotations

import pytest

from pylint_image.linter import Reference
from pylint_image.rules._shared.images import is_trusted, unpinned_tag, untrusted

TRUSTED = ["ghcr.io/acme", "bitnami", "mcr.microsoft.com", "index.docker.io/jenkins", "Quay.IO/org/"]


@pytest.mark.parametrize(("text", "trusted"), [
    ("ghcr.io/acme/app:1", True),
    ("ghcr.io/acme-evil/app:1", False),  # whole components, not a string prefix
    ("ghcr.io/acme", True),  # an entry may name the image itself
    ("docker.io/bitnami/redis", True),  # a bare namespace means Docker Hub
    ("bitnami/redis:7", True),
    ("bitnami:1", False),  # library/bitnami is not the bitnami namespace
    ("ghcr.io/bitnami/redis", False),
    ("mcr.microsoft.com/dotnet/sdk:8.0", True),
    ("jenkins/jenkins:lts", True),  # index.docker.io is docker.io
    ("quay.io/org/x", True),  # host names ignore case
    ("mirror.gcr.io/bitnami/redis:7", True),  # a mirror of Docker Hub serves Hub's bitnami
])
def test_is_trusted(text: str, trusted: bool) -> None:
    assert is_trusted(Reference.parse(text), TRUSTED) is trusted


def test_blank_entries_trust_nothing() -> None:
    assert not is_trusted(Reference.parse("ghcr.io/x/y"), ["", "  "])


@pytest.mark.parametrize(("text", "why"), [
    ("python", "no tag"),
    ("python:latest", "the tag 'latest'"),
    ("python:3.12", None),
    ("python@sha256:" + "a" * 64, None),
    ("python:latest@sha256:" + "a" * 64, None),
])
def test_unpinned_tag(text: str, why: str | None) -> None:
    assert unpinned_tag(Reference.parse(text)) == why


def test_untrusted_is_neither_official_nor_trusted() -> None:
    assert not untrusted(Reference.parse("python:3"), [])
    assert not untrusted(Reference.parse("public.ecr.aws/docker/library/node:20"), [])
    assert untrusted(Reference.parse("someone/python:3"), [])
    assert not untrusted(Reference.parse("someone/python:3"), ["someone"])
