"""The rules mapping table (docs/rules-mapping.md), generated from rule metadata.

Each rule's ``RuleMeta.aliases`` holds the ids other tools use for the same check; they are
sorted into columns by their shape (``classify``): hadolint ``DLnnnn``, BuildKit build-check
names (CamelCase), Trivy ``DSnnn`` / ``DS-nnnn`` / ``AVD-DS-nnnn``, Checkov ``CKV_DOCKER_n`` /
``CKV2_DOCKER_n``.  Foreign checks we deliberately do not carry over are listed in
``NOT_CARRIED_OVER`` with the reason; ``missing`` tells which known foreign checks are neither.

``render(rules)`` is pure (rules in, Markdown out).  Regenerate the committed file with
``python -m pylint_image.linter.mapping`` (``--check`` fails when it is stale).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from .ruleapi import Rule, Target

DEFAULT_OUT = Path("docs/rules-mapping.md")

KINDS = ("hadolint", "buildkit", "trivy", "checkov")
_PATTERNS = {
    "hadolint": re.compile(r"DL\d{4}"),
    "trivy": re.compile(r"(?:AVD-)?DS-?\d{3,4}"),
    "checkov": re.compile(r"CKV2?_DOCKER_\d+"),
    "buildkit": re.compile(r"[A-Z](?=[A-Za-z0-9]*[a-z])[A-Za-z0-9]+"),
}

# hadolint 2.15.1: every rule the release reports (DL1000, the parse error, is not a rule).
HADOLINT_RULES = (
    "DL1001", "DL3000", "DL3001", "DL3002", "DL3003", "DL3004", "DL3006", "DL3007", "DL3008",
    "DL3009", "DL3010", "DL3011", "DL3012", "DL3013", "DL3014", "DL3015", "DL3016", "DL3018",
    "DL3019", "DL3020", "DL3021", "DL3022", "DL3023", "DL3024", "DL3025", "DL3026", "DL3027",
    "DL3028", "DL3029", "DL3030", "DL3032", "DL3033", "DL3034", "DL3035", "DL3036", "DL3037",
    "DL3038", "DL3040", "DL3041", "DL3042", "DL3043", "DL3044", "DL3045", "DL3046", "DL3047",
    "DL3048", "DL3049", "DL3050", "DL3051", "DL3052", "DL3053", "DL3054", "DL3055", "DL3056",
    "DL3057", "DL3058", "DL3059", "DL3060", "DL3061", "DL3062", "DL3063", "DL3064", "DL3065",
    "DL3066", "DL3067", "DL4000", "DL4001", "DL4003", "DL4004", "DL4005", "DL4006",
)

# docs.docker.com/reference/build-checks/
BUILDKIT_CHECKS = (
    "ConsistentInstructionCasing", "CopyIgnoredFile", "DuplicateStageName", "ExposeInvalidFormat",
    "ExposeProtoCasing", "FromAsCasing", "FromPlatformFlagConstDisallowed",
    "InvalidBaseImagePlatform", "InvalidDefaultArgInFrom", "InvalidDefinitionDescription",
    "JSONArgsRecommended", "LegacyKeyValueFormat", "MaintainerDeprecated",
    "MultipleInstructionsDisallowed", "NoEmptyContinuation", "RedundantTargetPlatform",
    "ReservedStageName", "SecretsUsedInArgOrEnv", "StageNameCasing", "UndefinedArgInFrom",
    "UndefinedVar", "WorkdirRelativePath",
)

# aquasecurity/trivy-checks checks/docker/*.rego (METADATA id -> title, paraphrased).
TRIVY_CHECKS = {
    "DS001": "':latest' tag used", "DS002": "Image user should not be root",
    "DS004": "Port 22 exposed", "DS005": "ADD instead of COPY",
    "DS006": "COPY --from refers to the current stage", "DS007": "Multiple ENTRYPOINT instructions",
    "DS008": "Port out of range", "DS009": "WORKDIR path not absolute", "DS010": "RUN using sudo",
    "DS011": "COPY with several sources to a destination without '/'",
    "DS012": "Duplicate stage alias", "DS013": "RUN cd instead of WORKDIR",
    "DS014": "RUN using both wget and curl", "DS015": "yum clean all missing",
    "DS016": "Multiple CMD instructions", "DS017": "Package-manager update alone in a RUN",
    "DS019": "dnf clean all missing", "DS020": "zypper clean missing",
    "DS021": "apt-get without -y", "DS022": "MAINTAINER is deprecated",
    "DS023": "Multiple HEALTHCHECK instructions", "DS024": "apt-get dist-upgrade used",
    "DS025": "apk add without --no-cache", "DS026": "No HEALTHCHECK instruction",
    "DS027": "microdnf clean all missing", "DS029": "apt-get without --no-install-recommends",
    "DS030": "WORKDIR on a system directory", "DS031": "Secrets in ARG/ENV or copied secret files",
    "DS032": "Pipe without pipefail",
}

# bridgecrewio/checkov checkov/dockerfile/checks/*.py (id -> title, paraphrased).
CHECKOV_CHECKS = {
    "CKV_DOCKER_1": "Port 22 exposed", "CKV_DOCKER_2": "HEALTHCHECK missing",
    "CKV_DOCKER_3": "No USER for a non-root user", "CKV_DOCKER_4": "ADD used instead of COPY",
    "CKV_DOCKER_5": "update alone in a RUN", "CKV_DOCKER_6": "MAINTAINER used instead of LABEL",
    "CKV_DOCKER_7": "Base image uses 'latest' or no tag", "CKV_DOCKER_8": "Last USER is root",
    "CKV_DOCKER_9": "apt used instead of apt-get", "CKV_DOCKER_10": "WORKDIR not absolute",
    "CKV_DOCKER_11": "FROM aliases not unique",
}

# Foreign checks deliberately without an equivalent rule, and why.
NOT_CARRIED_OVER: dict[str, str] = {
    "DL3005": "removed from hadolint (apt-get upgrade is sometimes right, e.g. security updates on a pinned base)",
    "DL3017": "removed from hadolint (apk upgrade), same reason as DL3005",
    "DL3031": "removed from hadolint (yum update), same reason as DL3005",
    "DL3039": "removed from hadolint (dnf update), same reason as DL3005",
    "InvalidBaseImagePlatform": "needs the pulled base image's manifest; covered by image analysis "
                                "(`pylint-image image`), not by the Dockerfile linter",
    "DS030": "WORKDIR mounts nothing: a WORKDIR under /proc, /dev or /boot cannot cause a breakout; "
             "it only creates a directory (or fails at run time)",
}


def classify(alias: str) -> str | None:
    """The tool an alias id belongs to (one of ``KINDS``), or None for an old code of ours."""
    for kind, pattern in _PATTERNS.items():
        if pattern.fullmatch(alias):
            return kind
    return None


def normalize(alias: str) -> str:
    """Trivy's ``DS-0029`` / ``AVD-DS-0029`` spelled ``DS029``; other ids unchanged."""
    m = re.fullmatch(r"(?:AVD-)?DS-?0*(\d{1,3})", alias)
    return f"DS{int(m.group(1)):03d}" if m and classify(alias) == "trivy" else alias


def known_ids() -> dict[str, tuple[str, ...]]:
    """Every foreign check id this table must account for, per tool."""
    return {"hadolint": HADOLINT_RULES, "buildkit": BUILDKIT_CHECKS,
            "trivy": tuple(TRIVY_CHECKS), "checkov": tuple(CHECKOV_CHECKS)}


def covered(rules: Iterable[Rule]) -> dict[str, list[str]]:
    """Foreign id (normalised) -> codes of our rules that carry it as an alias."""
    out: dict[str, list[str]] = {}
    for r in rules:
        for alias in r.meta.aliases:
            if classify(alias):
                out.setdefault(normalize(alias), []).append(r.meta.code)
    return out


def missing(rules: Iterable[Rule]) -> dict[str, list[str]]:
    """Known foreign checks that are neither an alias of a rule nor in ``NOT_CARRIED_OVER``."""
    have = covered(rules)
    return {kind: gaps for kind, ids in known_ids().items()
            if (gaps := [i for i in ids if i not in have and i not in NOT_CARRIED_OVER])}


def _cell(ids: Sequence[str]) -> str:
    return ", ".join(f"`{i}`" for i in ids) or ""


def render(rules: Iterable[Rule]) -> str:
    """The Markdown of docs/rules-mapping.md for ``rules`` (Dockerfile rules only)."""
    rules = sorted((r for r in rules if r.meta.target is Target.DOCKERFILE), key=lambda r: r.meta.code)
    out = [
        "# Rules mapping: pylint-image and other Dockerfile linters", "",
        "<!-- Generated by `python -m pylint_image.linter.mapping` from rule metadata "
        "(`RuleMeta.aliases`); do not edit by hand. -->", "",
        "Each foreign id listed here also works in `--select`, `--ignore` and pragmas "
        "(`# hadolint ignore=DL3008` keeps working).  A rule with several ids of one tool gives each "
        "finding the one that matches what it found (DF2001: an apt package `DL3008`, a pip package "
        "`DL3013`, one finding per package manager), so such an id acts on those findings only.", "",
        "| our code | name | severity | hadolint | BuildKit check | Trivy | Checkov |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rules:
        by_kind: dict[str, list[str]] = {k: [] for k in KINDS}
        for alias in r.meta.aliases:
            kind = classify(alias)
            if kind:
                by_kind[kind].append(alias)
        cells = [f"`{r.meta.code}`", r.meta.name, r.meta.severity.value,
                 *(_cell(sorted(by_kind[k])) for k in KINDS)]
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "## Not carried over", "", "| id | tool | why |", "|---|---|---|"]
    out += [f"| `{i}` | {classify(i)} | {why} |" for i, why in sorted(NOT_CARRIED_OVER.items())]
    gaps = missing(rules)
    out += ["", "## Not covered yet", ""]
    if gaps:
        out += [f"- {kind}: {', '.join(f'`{i}`' for i in ids)}" for kind, ids in gaps.items()]
    else:
        out.append("None: every current hadolint rule, BuildKit build check, Trivy and Checkov "
                   "Dockerfile check has an equivalent rule or a reason above.")
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m pylint_image.linter.mapping [--out FILE | -] [--check]``."""
    import argparse  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m pylint_image.linter.mapping", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output file, '-' for stdout (default %(default)s)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from the generated text")
    args = parser.parse_args(argv)
    from .plugins import load_registry  # noqa: PLC0415

    text = render(load_registry().rules)
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    if args.check:
        current = out.read_text(encoding="utf-8") if out.is_file() else ""
        if current != text:
            sys.stderr.write(f"{out} is stale: run python -m pylint_image.linter.mapping\n")
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
