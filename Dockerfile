# The pylint-image tool as a container image.
#
#   docker build -t pylint-image .
#   docker run --rm -i pylint-image - < Dockerfile
#   docker run --rm -v "$PWD:/work" pylint-image .
#
# PIP_INDEX_URL, PIP_FIND_LINKS and PIP_NO_INDEX point pip at a mirror (build stage only).
# Usage, verify's privileges and CI snippets: docs/ci/container.md.

# --build-arg BASE=... swaps the base: any Debian-based image with Python 3.11+ and
# `python3 -m venv` works. CI builds against a local one (no registry is reachable there).

# BASE is the base image of both stages: the official Python image, pinned by digest
ARG BASE=python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b

FROM ${BASE} AS builder
ARG PIP_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_NO_INDEX
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md py.typed ./
COPY linter/ linter/
COPY rules/ rules/
COPY runner/ runner/
RUN python3 -m venv /opt/pylint-image \
    && /opt/pylint-image/bin/pip install --no-cache-dir /src \
    && mkdir -p /home/pylint-image/.cache

FROM ${BASE}
LABEL org.opencontainers.image.title="pylint-image" \
      org.opencontainers.image.description="Lint Dockerfiles, analyse built images layer by layer, and verify their runtime claims in a sandbox." \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/pylint-image/pylint-image"
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
