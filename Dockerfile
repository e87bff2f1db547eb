# The pylint-image tool as a container image.
#
#   docker build -t pylint-image .
#   docker run --rm -i pylint-image - < Dockerfile
#   docker run --rm -v "$PWD:/work" pylint-image .
#
# PIP_INDEX_URL, PIP_FIND_LINKS and PIP_NO_INDEX point pip at a mirror (build stage only).
# verify needs runc, iproute2 and Docker's seccomp profile (from Debian's
# golang-github-docker-docker-dev): their Debian versions are pinned by the *_VERSION
# build args below; pass newer ones when Debian moves on.
# Usage, verify's privileges and CI snippets: docs/ci/container.md.

# --build-arg BASE=... swaps the base: any Debian-based image with Python 3.11+ and
# `python3 -m venv` works. CI builds against a local one (no registry is reachable there).

# BASE is the base image of both stages: the official Python image, pinned by digest
ARG BASE=python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b

FROM ${BASE} AS builder
ARG DOCKER_DEV_VERSION=20.10.24+dfsg1-1+deb12u1
ARG PIP_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_NO_INDEX
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
# Docker's own default seccomp profile, the one verify applies (never a copy kept here).
WORKDIR /build/docker-dev
RUN apt-get update \
    && apt-get download "golang-github-docker-docker-dev=${DOCKER_DEV_VERSION}" \
    && dpkg-deb -x golang-github-docker-docker-dev_*.deb /build/docker-dev/x \
    && install -D -m 644 /build/docker-dev/x/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json \
        /build/out/usr/local/share/pylint-image/seccomp/default.json \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md py.typed ./
COPY linter/ linter/
COPY rules/ rules/
COPY runner/ runner/
RUN python3 -m venv /opt/pylint-image \
    && /opt/pylint-image/bin/pip install --no-cache-dir /src \
    && mkdir -p /home/pylint-image/.cache

FROM ${BASE}
ARG RUNC_VERSION=1.1.5+ds1-1+deb12u1
ARG IPROUTE2_VERSION=6.1.0-3
LABEL org.opencontainers.image.title="pylint-image" \
      org.opencontainers.image.description="Lint Dockerfiles, analyse built images layer by layer, and verify their runtime claims in a sandbox." \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/pylint-image/pylint-image"
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        "runc=${RUNC_VERSION}" "iproute2=${IPROUTE2_VERSION}" \
    && rm -rf /var/lib/apt/lists/*
COPY --from=builder /build/out/ /
COPY --from=builder /opt/pylint-image /opt/pylint-image
COPY --from=builder --chown=65532:65532 /home/pylint-image /home/pylint-image
ENV PATH=/opt/pylint-image/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/home/pylint-image \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# A CLI serves nothing to probe: say so, and drop any HEALTHCHECK a swapped BASE carries.
HEALTHCHECK NONE
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["pylint-image"]
CMD ["--help"]
