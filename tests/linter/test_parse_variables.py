"""ARG/ENV values in scope, and image reference parsing (the expander: test_variable_expansion.py)."""

from __future__ import annotations

import pytest

from pylint_image.linter.parse import parse_dockerfile, parse_image_ref, scope_at


SRC = """ARG BASE=python
ARG TAG=3.12
ARG ONLY_GLOBAL=g
FROM ${BASE}:${TAG} AS build
ARG TAG
ARG LOCAL=l-$TAG
ENV HOME=/root PATH=/x:$LOCAL
ENV LEGACY some value
RUN echo
FROM build
RUN echo
"""


def test_scope_at_scoping() -> None:
    df = parse_dockerfile("x", SRC)
    run = df.stages[0].instructions[-1]
    assert scope_at(df, run) == {
        "TAG": "3.12", "LOCAL": "l-3.12", "HOME": "/root", "PATH": "/x:l-3.12", "LEGACY": "some value",
    }
    # a global ARG is invisible in a stage until re-declared
    assert "ONLY_GLOBAL" not in scope_at(df, run)
    # a stage built FROM another inherits its ENV, not its ARGs
    assert scope_at(df, df.stages[1].instructions[-1]) == {"HOME": "/root", "PATH": "/x:l-3.12", "LEGACY": "some value"}
    assert scope_at(df, df.global_args[1]) == {"BASE": "python"}


def test_build_args_override_defaults() -> None:
    df = parse_dockerfile("x", SRC, build_args={"TAG": "3.13-slim", "LOCAL": "cli"})
    assert df.stages[0].base.resolved == "python:3.13-slim"
    assert scope_at(df, df.stages[0].instructions[-1])["LOCAL"] == "cli"


def test_from_uses_defaults_and_latest() -> None:
    df = parse_dockerfile("x", "ARG V=latest\nFROM node:$V\nFROM node\nFROM ${IMG:-alpine}:3\n")
    assert [s.base.tag for s in df.stages] == ["latest", None, "3"]
    assert df.stages[2].base.repository == "library/alpine" and not df.stages[2].base.has_variables


def test_scratch_and_alias_case_insensitive() -> None:
    assert parse_image_ref("SCRATCH").is_scratch
    assert parse_image_ref("Builder", earlier_stages={"builder"}).is_stage_alias
    # a stage name only counts when defined EARLIER
    df = parse_dockerfile("x", "FROM later\nFROM alpine AS later\n")
    assert not df.stages[0].base.is_stage_alias
