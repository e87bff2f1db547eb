#!/bin/sh
# Set up pylint-image from this checkout: a venv in .venv with the tool installed (editable,
# so edits to the checkout take effect), on Debian or Ubuntu, as root or as a user.
#
#   scripts/setup.sh            the tool: .venv/bin/pylint-image
#   scripts/setup.sh --test     the tool and the test extra (then: . .venv/bin/activate && python3 -m pytest)
#   scripts/setup.sh --verify   also runc and Docker's seccomp profile, which `pylint-image verify` needs
#
# System packages (python3-venv when venv is missing; runc and the profile for --verify) are
# installed with apt-get only when missing: directly as root, through sudo otherwise.
# Exits 0 once set up. It lints nothing: `.venv/bin/pylint-image examples/Dockerfile` is a
# separate command (exit code 1: the example has findings).
set -eu
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
extras=""
verify=false
for arg in "$@"; do
  case $arg in
    --test) extras="[test]" ;;
    --verify) verify=true ;;
    -h|--help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "setup.sh: error: unknown option '$arg' (use --test, --verify)" >&2; exit 2 ;;
  esac
done

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "setup.sh: error: '$*' needs root: run this as root, or install sudo" >&2
    exit 1
  fi
}

apt_updated=false
apt_install() {
  if ! $apt_updated; then as_root apt-get update -qq; apt_updated=true; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

if ! command -v "$python" >/dev/null 2>&1; then
  apt_install python3 python3-venv
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup.sh: error: pylint-image needs Python 3.11 or newer; $python is $("$python" -V 2>&1) (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi
# Debian's python3 has venv but not ensurepip (pip in the venv) without python3-venv.
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  apt_install python3-venv
fi

"$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"

if $verify; then
  command -v runc >/dev/null 2>&1 || apt_install runc
  profile=${PYLINT_IMAGE_SECCOMP_PROFILE:-/usr/local/share/pylint-image/seccomp/default.json}
  [ -s "$profile" ] || as_root scripts/install-seccomp-profile.sh "$profile"
fi

echo "set up: .venv/bin/pylint-image, $(.venv/bin/pylint-image --version | head -n 1)"
