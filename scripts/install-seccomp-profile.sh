#!/usr/bin/env bash
# Install Docker's own default seccomp profile for `pylint-image verify`: one file out of
# Debian's golang-github-docker-docker-dev (the version that matches docker.io), never a copy
# kept in this repository. Idempotent; needs root (or sudo) and apt.
set -euo pipefail
profile=${1:-/usr/local/share/pylint-image/seccomp/default.json}
[ -s "$profile" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
(cd "$tmp" && apt-get download -qq golang-github-docker-docker-dev 2>/dev/null)
dpkg-deb -x "$tmp"/golang-github-docker-docker-dev_*.deb "$tmp/x"
install -D -m 644 "$tmp/x/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json" "$profile"
echo "installed Docker's seccomp profile at $profile"
