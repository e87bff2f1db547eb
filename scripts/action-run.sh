#!/usr/bin/env bash
# The steps of the GitHub Action (action.yml), kept here so that tests/test_github_action.py can run
# them with a simulated GITHUB_* environment.
#
#   action-run.sh install   install the tool from the action's own checkout ($GITHUB_ACTION_PATH)
#                           into a venv under $RUNNER_TEMP; writes the output bin-dir
#   action-run.sh run       run lint, image or verify with the INPUT_* values; writes the outputs
#                           exit-code, findings, report-file and sarif-file, and a step summary
#
# Composite actions get no INPUT_* variables of their own: action.yml maps each input to one.
# The run step exits with the tool's exit code: 1 means findings at or above INPUT_FAIL_ON, so a
# later upload-sarif step needs `if: always()` (or pass fail-on: never).
set -euo pipefail

die() { echo "::error title=pylint-image::$*" >&2; exit 2; }

output() { # name value: a step output, or stdout outside of Actions
  if [ -n "${GITHUB_OUTPUT:-}" ]; then printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; else printf '%s=%s\n' "$1" "$2"; fi
}

install() {
  local src=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this as a step of the action}
  local python=${INPUT_PYTHON:-python3}
  command -v "$python" >/dev/null 2>&1 || die "no '$python' on PATH: add actions/setup-python (3.11 or newer) before this action"
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "pylint-image needs Python 3.11 or newer, '$python' is $("$python" -c 'import platform; print(platform.python_version())'): add actions/setup-python before this action"
  # A venv of its own: the runner's system Python refuses pip installs (PEP 668), and the
  # tool's dependencies stay out of the job's environment.
  local venv=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/pylint-image-action
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check -q "$src"
  "$venv/bin/pylint-image" --version
  output bin-dir "$venv/bin"
}

count_findings() { # format file: findings not suppressed, or nothing for a format without them
  "$bin/python" - "$1" "$2" <<'PY'
import json, sys
fmt, path = sys.argv[1], sys.argv[2]
try:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
except (OSError, ValueError):
    sys.exit(0)
if fmt == "sarif":
    print(sum(1 for run in doc.get("runs", []) for r in run.get("results", []) if not r.get("suppressions")))
elif fmt == "json":
    print(sum(1 for f in doc.get("findings", []) if not f.get("suppressed")))
PY
}

run() {
  bin=${PYLINT_IMAGE_BIN_DIR:-}
  if [ -z "$bin" ]; then   # outside the action: the pylint-image on PATH
    local tool; tool=$(command -v pylint-image) || die "pylint-image is not installed (run: $0 install)"
    bin=$(dirname "$tool")
  fi
  local command=${INPUT_COMMAND:-lint} sub
  case $command in
    lint) sub=check ;;
    image|verify) sub=$command ;;
    *) die "input 'command' is '$command': use lint, image or verify" ;;
  esac
  local format=${INPUT_FORMAT:-sarif} report=${INPUT_OUTPUT:-pylint-image.sarif} fail_on=${INPUT_FAIL_ON:-warning}
  # Paths and extra arguments are separated by whitespace (newlines too); no glob expansion.
  local -a paths=() extra=()
  set -f
  # shellcheck disable=SC2206  # word splitting is the documented input syntax
  paths=(${INPUT_PATHS:-})
  # shellcheck disable=SC2206
  extra=(${INPUT_ARGS:-})
  set +f
  if [ ${#paths[@]} -eq 0 ]; then
    [ "$command" = image ] && die "input 'paths' must name the image source for command 'image' (docker-daemon:NAME, registry:REF, an archive or an OCI layout)"
    paths=(.)
  fi
  case $report in /*) ;; *) report=$PWD/$report ;; esac
  mkdir -p "$(dirname "$report")"
  local -a argv=("$bin/pylint-image" "$sub" --format "$format" --output "$report" --fail-on "$fail_on")
  [ -n "${INPUT_CONFIG:-}" ] && argv+=(--config "$INPUT_CONFIG")
  # ${a[@]+...}: bash before 4.4 (macOS's) calls an empty array unbound under set -u.
  argv+=(${extra[@]+"${extra[@]}"} -- "${paths[@]}")
  echo "+ ${argv[*]}"
  local rc=0
  "${argv[@]}" || rc=$?
  local findings=""
  [ -f "$report" ] && findings=$(count_findings "$format" "$report")
  output exit-code "$rc"
  output findings "$findings"
  output report-file "$report"
  if [ "$format" = sarif ] && [ -f "$report" ]; then output sarif-file "$report"; else output sarif-file ""; fi
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    {
      echo "### pylint-image $command"
      echo
      echo "| findings | exit code | fail-on | report |"
      echo "| --- | --- | --- | --- |"
      echo "| ${findings:-n/a} | $rc | $fail_on | \`${report#"${GITHUB_WORKSPACE:-$PWD}/"}\` |"
    } >>"$GITHUB_STEP_SUMMARY"
  fi
  case $rc in
    0|1) ;;
    *) echo "::error title=pylint-image::pylint-image $command exited with code $rc (2: usage, config or input error; 3: tool or infrastructure error)" >&2 ;;
  esac
  return "$rc"
}

case ${1:-} in
  install) install ;;
  run) run ;;
  *) echo "usage: $0 install|run" >&2; exit 2 ;;
esac
