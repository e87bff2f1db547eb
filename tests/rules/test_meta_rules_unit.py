"""Unit tests of the instruction/stage/metadata rules that fixtures cannot express.

A fixture needs at least one finding, so "the ``# check=skip=...`` directive silences
the rule" is tested here: each BuildKit-aliased Dockerfile rule fires on a
sample, and is silent on the same sample under ``# check=skip=<BuildKit name>``.
"""

from __future__ import annotations

import pytest

from pylint_image.rules._shared.buildkit import skipped
from pylint_image.rules._shared.copying import is_archive, is_remote, operands
from pylint_image.rules.dockerfile import DOCKERFILE_RULES
from pylint_image.rules.dockerfile.df3008_secret_in_arg_or_env import is_secret_name
from pylint_image.linter.parse import parse_dockerfile
from tests.support.linting import lint_text

SAMPLES = {
    "FromAsCasing": "FROM alpine:3.20 as base\n",
    "StageNameCasing": "FROM alpine:3.20 AS Base\n",
    "DuplicateStageName": "FROM alpine:3.20 AS a\nFROM alpine:3.20 AS a\n",
    "ReservedStageName": "FROM alpine:3.20 AS scratch\n",
    "MaintainerDeprecated": "FROM alpine:3.20\nMAINTAINER me\n",
    "MultipleInstructionsDisallowed": "FROM alpine:3.20\nCMD [\"a\"]\nCMD [\"b\"]\n",
    "WorkdirRelativePath": "FROM alpine:3.20\nWORKDIR app\n",
    "SecretsUsedInArgOrEnv": "FROM alpine:3.20\nARG GITHUB_TOKEN\n",
    "LegacyKeyValueFormat": "FROM alpine:3.20\nENV A b\n",
    "ExposeProtoCasing": "FROM alpine:3.20\nEXPOSE 80/TCP\n",
    "NoEmptyContinuation": "FROM alpine:3.20\nRUN echo \\\n\n  a\n",
    "RedundantTargetPlatform": "FROM --platform=$TARGETPLATFORM alpine:3.20\n",
    "FromPlatformFlagConstDisallowed": "FROM --platform=linux/amd64 alpine:3.20 AS base\n",
    "UndefinedArgInFrom": "FROM alpine:${TAG}\n",
    "InvalidDefaultArgInFrom": "ARG TAG\nFROM alpine:${TAG}\n",
}


def _rule_for(check_name: str):
    return next(r for r in DOCKERFILE_RULES if check_name in r.meta.aliases)


@pytest.mark.parametrize("check_name", sorted(SAMPLES))
def test_buildkit_skip_directive_silences_the_rule(check_name: str) -> None:
    code = _rule_for(check_name).meta.code
    text = SAMPLES[check_name]
    assert code in {f.code for f in lint_text(text).outcome.findings}
    for directive in (f"# check=skip={check_name}\n", "# check=skip=all;error=true\n",
                      f"# check=skip=JSONArgsRecommended,{check_name.lower()}\n"):
        assert code not in {f.code for f in lint_text(directive + text).outcome.findings}


def test_skip_directive_parsing() -> None:
    df = parse_dockerfile("Dockerfile", "# check=error=true;skip=A,B\nFROM alpine:3.20\n")
    assert skipped(df, "A") and skipped(df, "b") and not skipped(df, "C")


def test_secret_names() -> None:
    assert is_secret_name("AWS_SECRET_ACCESS_KEY") and is_secret_name("dbPassword") and is_secret_name("API_KEY")
    assert not is_secret_name("POSTGRES_PASSWORD_FILE") and not is_secret_name("GPG_KEY")
    assert not is_secret_name("TOKENIZERS_PARALLELISM") and not is_secret_name("PUBLIC_TOKEN")


def test_copy_operands_skip_heredoc_sources() -> None:
    df = parse_dockerfile("Dockerfile", "FROM alpine:3.20\nCOPY <<EOF a.txt /dst/\nhi\nEOF\n")
    sources, dest = operands(df.stages[0].instructions[1])
    assert [s.text for s in sources] == ["a.txt"] and dest is not None and dest.text == "/dst/"
    assert is_archive("'x.TAR.GZ'") and is_remote("https://x/y") and not is_remote("./http")
