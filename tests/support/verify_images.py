"""Real images for the verify tests: tiny busybox bases plus a static C test server (tserve).

Each image is tagged by a hash of its Dockerfile and inputs, so a session only builds what
changed; builds run a few at a time.  Docker Hub is unreachable: everything starts from
``busybox_base()`` or ``scratch``.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.docker_images import busybox_base, docker_build

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "verify"
_SERVE = 'COPY tserve /usr/local/bin/tserve\n'

# name -> Dockerfile ({base} is the busybox base tag).  Comments say what each one proves.
IMAGES = {
    # Everything right: non-root, listens on its EXPOSEd port, healthy, stops on SIGTERM.
    "good": "FROM {base}\n" + _SERVE + "USER 65534:65534\nEXPOSE 8080\n"
            'HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD ["tserve", "probe", "8080"]\n'
            'CMD ["tserve", "tcp", "0.0.0.0", "8080"]\n',
    "wrong-port": "FROM {base}\n" + _SERVE + "USER 65534\nEXPOSE 8080\n"
                  'CMD ["tserve", "tcp", "0.0.0.0", "9090"]\n',
    "loopback": "FROM {base}\n" + _SERVE + "USER 65534\nEXPOSE 8080\n"
                'CMD ["tserve", "tcp", "127.0.0.1", "8080"]\n',
    # udp listener on its EXPOSEd udp port; the tcp port next to it has nothing.
    "udp": "FROM {base}\n" + _SERVE + "USER 65534\nEXPOSE 5353/udp 5354/tcp\n"
           'CMD ["tserve", "udp", "0.0.0.0", "5353"]\n',
    # busybox httpd binds the IPv6 wildcard (counts as all interfaces) and ignores SIGTERM as PID 1.
    "httpd": "FROM {base}\nRUN mkdir /www && echo hi > /www/index.html\nEXPOSE 8080\n"
             'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
    "no-handler": "FROM {base}\n" + _SERVE + "EXPOSE 8080\n"
                  'CMD ["tserve", "tcp", "0.0.0.0", "8080", "nohandler"]\n',
    "shell-form": "FROM {base}\nCMD sleep 60\n",
    "crash": "FROM {base}\n" + _SERVE + 'EXPOSE 8080\nCMD ["tserve", "crash"]\n',
    "oneshot": 'FROM {base}\nUSER 65534\nCMD ["echo", "hello"]\n',
    "oneshot-fails": 'FROM {base}\nUSER 65534\nCMD ["false"]\n',
    "health-bad": "FROM {base}\n" + _SERVE + "USER 65534\nEXPOSE 8080\n"
                  'HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD ["tserve", "probe", "9999"]\n'
                  'CMD ["tserve", "tcp", "0.0.0.0", "8080"]\n',
    "hog": "FROM {base}\n" + _SERVE + 'USER 65534\nCMD ["tserve", "hog"]\n',
    "forkbomb": "FROM {base}\nUSER 65534\n"
                'CMD ["sh", "-c", "i=0; while [ $i -lt 80 ]; do sleep 30 & i=$((i+1)); done; exit 0"]\n',
    "not-found": 'FROM {base}\nCMD ["/app/server"]\n',
    "not-found-path": 'FROM {base}\nCMD ["server", "--port", "80"]\n',
    "no-exec": "FROM {base}\nCOPY start.sh /start.sh\nRUN chmod 0644 /start.sh\n"
               'CMD ["/start.sh"]\n',
    "bad-shebang": "FROM {base}\nCOPY bash-script.sh /start.sh\nRUN chmod 0755 /start.sh\n"
                   'CMD ["/start.sh"]\n',
    "good-script": "FROM {base}\nCOPY start.sh /start.sh\nRUN chmod 0755 /start.sh\nUSER 65534\n"
                   'CMD ["/start.sh"]\n',
    "glibc-on-scratch": 'FROM scratch\nCOPY hello /hello\nCMD ["/hello"]\n',
    # A live service that needs 8 s to open its port: starting, not failing (slow-start, info).
    "slow-start": "FROM {base}\n" + _SERVE + "USER 65534\nEXPOSE 8080\n"
                  'CMD ["sh", "-c", "sleep 8; exec tserve tcp 0.0.0.0 8080"]\n',
    # #!/usr/bin/env python3 where env exists and python3 is on no PATH directory.
    "env-missing": "FROM {base}\nRUN ln -s /bin/busybox /usr/bin/env\nCOPY env-script.py /app.py\n"
                   'RUN chmod 0755 /app.py\nUSER 65534\nCMD ["/app.py"]\n',
}


def _context(tmp: Path) -> None:
    """Compile the test programs and write the scripts every image may COPY."""
    source = FIXTURES / "tserve.c"
    subprocess.run(["gcc", "-static", "-O1", "-o", str(tmp / "tserve"), str(source)], check=True,
                   capture_output=True)
    (tmp / "hello.c").write_text('#include <stdio.h>\nint main(void){puts("hi");return 0;}\n')
    subprocess.run(["gcc", "-o", str(tmp / "hello"), str(tmp / "hello.c")], check=True, capture_output=True)
    (tmp / "start.sh").write_text("#!/bin/sh\necho started\n")
    (tmp / "bash-script.sh").write_text("#!/bin/bash\necho started\n")
    (tmp / "env-script.py").write_text("#!/usr/bin/env python3\nprint('started')\n")


def _tag(name: str, text: str) -> str:
    digest = hashlib.sha256((text + (FIXTURES / "tserve.c").read_text()).encode()).hexdigest()[:12]
    return f"pylint-image-test/verify-{name}:{digest}"


def _exists(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0


def build_verify_images() -> dict[str, str]:
    """Build (or reuse) every image in IMAGES; return name -> tag."""
    if shutil.which("gcc") is None:
        pytest.skip("needs gcc (and libc6-dev for -static) to build the test servers")
    base = busybox_base()
    texts = {name: text.replace("{base}", base) for name, text in IMAGES.items()}
    tags = {name: _tag(name, text) for name, text in texts.items()}
    missing = [name for name in IMAGES if not _exists(tags[name])]
    if missing:
        with tempfile.TemporaryDirectory() as tmp:
            ctx = Path(tmp)
            _context(ctx)
            for name in missing:
                (ctx / f"{name}.Dockerfile").write_text(texts[name])
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda n: docker_build(ctx, tags[n], f"{n}.Dockerfile"), missing))
    return tags
