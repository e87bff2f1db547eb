"""verify's verdicts against Docker's, case by case (issue 9): Docker is the oracle.

Each case asserts only its own verdict fields (cases.py); a disagreement prints both sides
and what Docker showed.  Cases that wait for an issue 9 probe fix are strict xfails: they
fail the moment the fix lands, so the mark is removed with the fix.
"""

from __future__ import annotations

import json

import pytest

from .cases import CASES

pytestmark = [pytest.mark.docker, pytest.mark.sandbox]


def _params():
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        yield pytest.param(case.name, id=case.name, marks=marks)


@pytest.mark.parametrize("name", list(_params()))
def test_verify_agrees_with_docker(name, fidelity):
    result = fidelity[name]
    assert result["agree"], (
        f"{name}: verify disagrees with Docker\n"
        f"  docker: {json.dumps(result['docker'], sort_keys=True)}\n"
        f"  verify: {json.dumps(result['verify'], sort_keys=True)}\n"
        f"  docker saw: {json.dumps(result['docker_record'], sort_keys=True, default=str)[:1500]}\n"
        f"  verify saw: {json.dumps(result['verify_record'], sort_keys=True)[:1500]}")
