"""argv as Docker computes it from ENTRYPOINT, CMD and SHELL (pure)."""

from __future__ import annotations

import pytest

from pylint_image.linter.parse import parse_dockerfile
from pylint_image.runner.argv import CommandConfig, config_from_instructions, container_argv
from pylint_image.runner.claims import claim_sources


def replay(text: str) -> CommandConfig:
    dockerfile = parse_dockerfile("Dockerfile", text)
    return config_from_instructions(dockerfile.final_stage.instructions)


@pytest.mark.parametrize("text, argv", [
    ('FROM x\nCMD ["a", "b"]\n', ("a", "b")),
    ("FROM x\nCMD echo $HOME\n", ("/bin/sh", "-c", "echo $HOME")),
    ('FROM x\nENTRYPOINT ["srv"]\nCMD ["--port", "80"]\n', ("srv", "--port", "80")),
    # CMD set earlier in the same build survives a later ENTRYPOINT (BuildKit's cmdSet).
    ('FROM x\nCMD ["--port", "80"]\nENTRYPOINT ["srv"]\n', ("srv", "--port", "80")),
    # Shell-form ENTRYPOINT: CMD's words become $0... of sh -c, which the script ignores.
    ('FROM x\nENTRYPOINT srv -v\nCMD ["ignored"]\n', ("/bin/sh", "-c", "srv -v", "ignored")),
    ('FROM x\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\nCMD run it\n',
     ("/bin/bash", "-eo", "pipefail", "-c", "run it")),
    # SHELL applies only to shell-form lines after it.
    ('FROM x\nCMD a\nSHELL ["/bin/ash", "-c"]\n', ("/bin/sh", "-c", "a")),
    ('FROM x\nENTRYPOINT []\nCMD ["a"]\n', ("a",)),
    ("FROM x\n", ()),
])
def test_argv_from_dockerfile(text, argv):
    assert replay(text).argv == argv


def test_entrypoint_resets_a_cmd_inherited_from_the_base():
    base = CommandConfig(cmd=("bash",))
    dockerfile = parse_dockerfile("Dockerfile", 'FROM x\nENTRYPOINT ["srv"]\n')
    assert config_from_instructions(dockerfile.final_stage.instructions, base).argv == ("srv",)


def test_container_argv_joins_entrypoint_and_cmd():
    assert container_argv(("a",), ("b", "c")) == ("a", "b", "c")
    assert container_argv(None, ("b",)) == ("b",)
    assert container_argv(("a",), None) == ("a",)
    assert container_argv(None, None) == ()


def test_shell_form_is_known():
    assert replay("FROM x\nCMD sleep 1\n").shell_form
    assert not replay('FROM x\nCMD ["sleep", "1"]\n').shell_form
    assert replay('FROM x\nENTRYPOINT srv\nCMD ["x"]\n').shell_form


def test_claim_sources_follow_stage_aliases_and_targets():
    text = ('FROM x AS base\nEXPOSE 80 53/udp\nCMD ["srv"]\n'
            'FROM base AS app\nHEALTHCHECK CMD true\nSTOPSIGNAL SIGINT\n'
            'FROM x AS other\nCMD ["o"]\n')
    dockerfile = parse_dockerfile("Dockerfile", text)
    sources, commands = claim_sources(dockerfile, "app")
    assert commands.argv == ("srv",)
    assert sources["entrypoint"].span.start_line == 3
    assert sources["expose:80/tcp"].span.start_line == 2
    assert sources["expose:53/udp"].span.start_col == 11
    assert sources["healthcheck"].span.start_line == 5
    assert sources["stopsignal"].span.start_line == 6
    assert sources["stage"].span.start_line == 4
    final, _ = claim_sources(dockerfile, None)
    assert final["entrypoint"].span.start_line == 8 and "healthcheck" not in final
