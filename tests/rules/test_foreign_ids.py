"""Each finding of a rule with several foreign ids of one tool carries exactly the matching one (issue 11).

``--ignore DL3013`` must act on pip findings only, so DF2001 splits a RUN with apt and pip
into one finding per manager, each with its own hadolint id; the same for every rule whose
aliases hold several ids of one tool.  Findings are compared as (line, code, tool_ids).
"""

from __future__ import annotations

import pytest

from pylint_image.linter.mapping import classify
from tests.support.linting import lint_text, registry


def _found(text: str, code: str, table: dict | None = None) -> list[tuple[int, tuple[str, ...]]]:
    result = lint_text(text, table={"preview": True, **(table or {})})
    assert result.error is None, result.error
    return sorted((f.source.span.start_line, f.tool_ids) for f in result.outcome.findings
                  if f.code == code and f.source is not None)


CASES = [
    ("DF2001", "FROM debian:12\nRUN apt-get install -y curl && pip install flask && apt-get install -y git\n",
     [(2, ("DL3008",)), (2, ("DL3013",))]),
    ("DF2001", "FROM node:22\nRUN npm install -g pm2 && yarn global add serve && gem install rails && apk add jq\n",
     [(2, ("DL3016",)), (2, ("DL3016",)), (2, ("DL3018",)), (2, ("DL3028",))]),
    ("DF3005", "FROM alpine:3.20\nCMD a\nCMD b\nENTRYPOINT [\"x\"]\nENTRYPOINT [\"y\"]\n"
               "HEALTHCHECK CMD true\nHEALTHCHECK CMD false\n",
     [(3, ("DL4003", "DS016", "MultipleInstructionsDisallowed")),
      (5, ("DL4004", "DS007", "MultipleInstructionsDisallowed")),
      (7, ("DL3012", "DS023", "MultipleInstructionsDisallowed"))]),
    ("DF4006", "FROM alpine:3.20 AS a\nCOPY --from=a /x /x\nCOPY --from=nosuch /x /x\nCOPY --from=b /x /x\n"
               "COPY --from=0 /y /y\nFROM alpine:3.20 AS b\n",
     [(2, ("DL3023", "DS006")), (3, ("DL3022",)), (4, ("DL3022",)), (5, ("DL3023", "DS006"))]),
    ("DF1001", "FROM alpine\nFROM alpine:latest\nFROM alpine:3.20\n", [(1, ("DL3006", "DS001", "CKV_DOCKER_7")), (2, ("DL3007", "DS001", "CKV_DOCKER_7"))]),
    ("DF2002", "FROM python:3.12-alpine\nRUN apk add --no-cache curl=8.1 && pip install flask==3.0\n"
               "RUN apk add jq=1.7 && apt-get update\n",
     [(2, ("DL3042",)), (3, ("DL3009",)), (3, ("DL3019", "DS025"))]),
    ("DF2008", "FROM fedora:40\nRUN yum install -y a && dnf install -y b && microdnf install -y c "
               "&& zypper install -y d\n",
     [(2, ("DL3033",)), (2, ("DL3037",)), (2, ("DL3041",))]),
    ("DF2009", "FROM fedora:40\nRUN yum install -y a-1.0 && dnf install -y b-1.0 && microdnf install -y c-1.0\n"
               "RUN zypper install -y d=1.0\n",
     [(2, ("DL3032", "DS015")), (2, ("DL3040", "DS019")), (3, ("DL3036", "DS020"))]),
    ("DF2013", "FROM fedora:40\nRUN apt-get install curl=1 && yum install a-1.0 && dnf install b-1.0 "
               "&& zypper install c=1.0\n",
     [(2, ("DL3014", "DS021")), (2, ("DL3030",)), (2, ("DL3034",)), (2, ("DL3038",))]),
    ("DF2018", "FROM opensuse/leap:15.6\nRUN zypper dup -y\nRUN apt-get dist-upgrade -y\n",
     [(2, ("DL3035",)), (3, ("DS024",))]),
    ("DF2020", "FROM debian:12\nENV PYTHONHTTPSVERIFY=0\nRUN curl -k https://x && wget --no-check-certificate https://y\n"
               "RUN git -c http.sslVerify=false clone https://z\n",
     [(2, ("CKV2_DOCKER_5",)), (3, ("CKV2_DOCKER_2",)), (3, ("CKV2_DOCKER_3",)), (4, ())]),
    ("DF2021", "FROM debian:12\nRUN apt-get install -y --allow-unauthenticated a=1 && apk add --allow-untrusted b\n"
               "RUN rpm -i --nosignature c.rpm && apt-get install -y --force-yes d=1\n",
     [(2, ("CKV2_DOCKER_7",)), (2, ("CKV2_DOCKER_8",)), (3, ("CKV2_DOCKER_10",)), (3, ("CKV2_DOCKER_11",))]),
]


@pytest.mark.parametrize(("code", "text", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_finding_carries_the_matching_foreign_id(code: str, text: str, expected: list) -> None:
    assert _found(text, code) == sorted(expected)


def test_label_schema_findings_carry_one_dl_id_each() -> None:
    text = ("FROM alpine:3.20\n"
            'LABEL org.opencontainers.image.source="github.com/x" org.opencontainers.image.created="yesterday" '
            'org.opencontainers.image.licenses="Apache License" org.opencontainers.image.url=""\n'
            'LABEL mail="nobody" rev="xyz" ver="one" other="x"\n')
    options = {"schema": {"mail": "email", "rev": "hash", "ver": "semver"}, "required": ["needed"]}
    assert _found(text, "DF3014", {"rules": {"DF3014": options}}) == sorted([
        (2, ("DL3052",)), (2, ("DL3053",)), (2, ("DL3054",)), (2, ("DL3051",)),
        (3, ("DL3058",)), (3, ("DL3055",)), (3, ("DL3056",)), (1, ("DL3049",))])
    strict = {**options, "strict": True}
    assert (3, ("DL3050",)) in _found(text, "DF3014", {"rules": {"DF3014": strict}})  # other="x"


def test_a_finding_names_the_shadowed_instruction() -> None:
    result = lint_text("FROM alpine:3.20\nCMD a\nCMD b\nCMD c\n")
    messages = sorted(f.message for f in result.outcome.findings if f.code == "DF3005")
    assert messages == ["CMD repeated in one stage: the CMD at line 2 has no effect, only the last one counts",
                        "CMD repeated in one stage: the CMD at line 3 has no effect, only the last one counts"]


def test_split_messages_name_only_their_own_manager() -> None:
    result = lint_text("FROM debian:12\nRUN apt-get install -y curl && pip install flask\n")
    messages = sorted(f.message for f in result.outcome.findings if f.code == "DF2001")
    assert messages == ["packages installed without a version (apt-get install: curl)",
                        "packages installed without a version (pip install: flask)"]


def test_every_tool_id_is_an_alias_of_its_rule() -> None:
    """A rule may only emit ids it declares (the mapping table and --select rely on aliases)."""
    by_code = {r.meta.code: set(r.meta.aliases) for r in registry().rules}
    for code, text, expected in CASES:
        for _, ids in expected:
            assert set(ids) <= by_code[code], (code, ids)


def test_rules_with_several_ids_of_one_tool_are_covered_here() -> None:
    """Every Dockerfile rule with two or more aliases of one tool has a case above (or is another part's)."""
    others = {"DF0001", "DF3002"}  # parse errors (ids set by the engine) and runs-as-root (issue 11 part 4)
    tested = {c[0] for c in CASES} | {"DF3014"}
    for r in registry().rules:
        kinds = [classify(a) for a in r.meta.aliases if classify(a) not in (None, "buildkit")]
        if any(kinds.count(k) > 1 for k in set(kinds)) and r.meta.code not in others:
            assert r.meta.code in tested, f"{r.meta.code} has several ids of one tool and no foreign-id case"


APT_AND_PIP = "FROM debian:12\nRUN apt-get install -y curl && pip install flask\n"


@pytest.mark.parametrize(("table", "text", "left"), [
    ({"ignore": ["DL3013"]}, APT_AND_PIP, [("DL3008",)]),
    ({"select": ["DL3008"]}, APT_AND_PIP, [("DL3008",)]),
    ({}, "FROM debian:12\n# hadolint ignore=DL3013\n" + APT_AND_PIP.split("\n", 1)[1], [("DL3008",)]),
    ({}, "FROM debian:12\n# hadolint ignore=DL3008,DL3013\n" + APT_AND_PIP.split("\n", 1)[1], []),
])
def test_a_foreign_id_acts_on_its_own_findings_only(table: dict, text: str, left: list) -> None:
    """The issue's example, end to end: ignoring pip's DL3013 keeps the apt finding of the same RUN."""
    result = lint_text(text, table=table)
    assert result.error is None, result.error
    assert sorted(f.tool_ids for f in result.outcome.findings if f.code == "DF2001" and f.suppressed is None) == left


def test_rules_that_say_which_id_declare_their_ids_exact() -> None:
    """An alias must not stand in for a finding that carries none of it (a git -c sslVerify finding is no CKV2_DOCKER_2)."""
    by_code = {r.meta.code: r.meta for r in registry().rules}
    # DF1001 is not: its require-digest finding has no foreign equivalent and stays reachable
    # through the rule's aliases (--ignore DL3006,DL3007 turns the whole rule off)
    assert all(by_code[code].exact_tool_ids for code, _, _ in CASES if code != "DF1001")
    assert not by_code["DF1001"].exact_tool_ids
    result = lint_text("FROM debian:12\nRUN git -c http.sslVerify=false clone https://z && curl -k https://x\n",
                       table={"ignore": ["CKV2_DOCKER_2"]})
    assert [f.message for f in result.outcome.findings if f.code == "DF2020" and f.suppressed is None] == [
        "git -c http.sslVerify=false turns off TLS certificate verification"]
