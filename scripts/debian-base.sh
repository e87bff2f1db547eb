#!/usr/bin/env bash
# Build the Debian bookworm base image the fidelity tests build their service images on.
#
#   scripts/debian-base.sh [TAG]        (default TAG: pylint-image-test/debian:bookworm)
#
# debootstrap --variant=minbase from the Debian mirror this machine's apt already uses;
# the rootfs tarball is cached (PYLINT_IMAGE_DEBIAN_CACHE, default
# /var/cache/pylint-image/debian-bookworm-minbase.tar) and `docker import`ed.  Idempotent:
# nothing is done when the image exists, and debootstrap is skipped when the tarball exists.
# Needs root (debootstrap), debootstrap and a running Docker engine.
set -euo pipefail

TAG="${1:-pylint-image-test/debian:bookworm}"
SUITE=bookworm
CACHE="${PYLINT_IMAGE_DEBIAN_CACHE:-/var/cache/pylint-image/debian-bookworm-minbase.tar}"

if docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "debian-base: $TAG exists"
  exit 0
fi

# The first http(s) Debian mirror apt uses: deb822 .sources first, then one-line lists.
mirror() {
  local uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f" \
          | grep -E '^https?://' | grep -v -- '-security' | head -n1 || true)
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\//) { print $i; break } }' "$f" \
          | grep -v -- '-security' | head -n1 || true)
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  echo "http://deb.debian.org/debian"
}

if [ ! -s "$CACHE" ]; then
  [ "$(id -u)" = 0 ] || { echo "debian-base: debootstrap needs root" >&2; exit 1; }
  command -v debootstrap >/dev/null || { echo "debian-base: debootstrap is not installed" >&2; exit 1; }
  MIRROR=$(mirror)
  mkdir -p "$(dirname "$CACHE")"
  WORK=$(mktemp -d /tmp/pylint-image-debootstrap.XXXXXX)
  # Only the directory this script created is ever removed.
  trap 'rm -rf --one-file-system -- "$WORK"' EXIT
  echo "debian-base: debootstrap --variant=minbase $SUITE from $MIRROR"
  debootstrap --variant=minbase "$SUITE" "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
    tail -n 30 "$WORK/debootstrap.log" >&2
    exit 1
  }
  # apt inside `docker build` uses the same mirror; no downloaded .debs in the image.
  echo "deb $MIRROR $SUITE main" >"$WORK/rootfs/etc/apt/sources.list"
  rm -rf --one-file-system -- "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"*_Packages 2>/dev/null || true
  tar --numeric-owner --xattrs -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" .
  mv "$WORK/rootfs.tar" "$CACHE.partial"
  mv "$CACHE.partial" "$CACHE"
fi

echo "debian-base: docker import $CACHE as $TAG"
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' \
  "$CACHE" "$TAG" >/dev/null
echo "debian-base: $TAG ready"
