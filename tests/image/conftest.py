"""Fixtures for image-reader tests: a small but feature-complete synthesized image."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def app_spec() -> dict[str, Any]:
    """A three-layer image with setuid files, links, whiteouts, an opaque dir and history."""
    return {
        "ref": "synth/app:1",
        "annotations": {"org.opencontainers.image.base.name": "docker.io/library/debian:12",
                        "org.opencontainers.image.base.digest": "sha256:" + "ab" * 32},
        "config": {"User": "app", "Env": ["PATH=/usr/bin:/bin", "A=1"], "Cmd": ["sh"],
                   "Entrypoint": ["/entry.sh"], "WorkingDir": "/app",
                   "ExposedPorts": {"8080/tcp": {}}, "Volumes": {"/data": {}},
                   "Labels": {"maintainer": "me"}, "StopSignal": "SIGTERM",
                   "Healthcheck": {"Test": ["CMD", "true"], "Interval": 30000000000,
                                   "Retries": 3}},
        "layers": [
            {"created_by": "/bin/sh -c #(nop) ADD file:0123abc in / ", "gzip": True, "files": [
                {"path": "/bin", "type": "dir"},
                {"path": "/bin/busybox", "size": 3000, "mode": "0755"},
                {"path": "/bin/sh", "type": "symlink", "target": "/bin/busybox"},
                {"path": "/bin/ash", "type": "hardlink", "target": "/bin/busybox"},
                {"path": "/usr/bin/passwd", "size": 100, "mode": "04755"},
                {"path": "/etc/passwd", "content": "root:x:0:0::/root:/bin/sh\n"},
                {"path": "/var/cache/apt/pkgcache.bin", "size": 5000},
                {"path": "/var/cache/apt/srcpkgcache.bin", "size": 700},
                {"path": "/tmp/big", "size": 9000},
                {"path": "/tmp", "type": "dir", "mode": "01777"},
            ]},
            {"created_by": '/bin/sh -c #(nop)  ENV A=1', "empty": True},
            {"created_by": "/bin/sh -c rm -rf /var/cache/apt && rm /tmp/big", "files": [
                {"path": "/var/cache/apt", "type": "opaque"},
                {"path": "/var/cache/apt/new.bin", "size": 10},
                {"path": "/tmp/big", "type": "whiteout"},
            ]},
            {"created_by": "/bin/sh -c #(nop) COPY file:feed in /app ", "gzip": True, "files": [
                {"path": "/app/config.yml", "content": "token: abc\n", "uid": 1000, "gid": 1000},
                {"path": "/etc/passwd", "content": "root:x:0:0::/root:/bin/sh\napp:x:1000:\n"},
                {"path": "/entry.sh", "content": "#!/bin/sh\nexec \"$@\"\n", "mode": "0755"},
            ]},
            {"created_by": '/bin/sh -c #(nop)  CMD ["sh"]', "empty": True},
        ],
    }
