"""The fidelity cases: realistic images on the Debian base, each with the claim it tests.

A case is a Dockerfile (placeholders: ``{debian}`` the debootstrap base, ``{tools}`` the base
plus python3, nginx, sudo, curl, busybox and a user ``app`` (uid 1000), ``{gcc}`` the base
plus gcc) and the verdict fields it asserts:

- ``entrypoint``: ok | not-found | not-executable | interpreter-missing
- ``state``: running | exit N | signal N | not started (the entrypoint cannot run)
- ``ports``: each declared port listening | loopback-only | not-listening, and undeclared ones
- ``uid``: the uid PID 1 runs as
- ``health``: healthy | unhealthy
- ``stop``: stopped (exits on the stop signal within the grace period) | ignored (killed)
- ``oom``: oom-killed | no
"""

from __future__ import annotations

from dataclasses import dataclass, field

FIELDS = ("entrypoint", "state", "ports", "uid", "health", "stop", "oom")


@dataclass(frozen=True)
class Case:
    name: str
    claim: str
    dockerfile: str
    asserts: tuple[str, ...]
    files: dict[str, str | bytes] = field(default_factory=dict)
    xfail: str | None = None         # the issue 9 probe fix this case waits for
    docker_note: str | None = None   # where Docker's behaviour depends on its version
    ready_s: float = 10.0            # how long the Docker side waits for the declared ports

    def __post_init__(self) -> None:
        # A case that watches ports watches the whole running container: who it runs as and
        # whether it stops on the stop signal are asserted too.
        if "ports" in self.asserts:
            extra = ("entrypoint", "state", "uid", "stop") + (("health",) if "HEALTHCHECK" in self.dockerfile else ())
            object.__setattr__(self, "asserts", tuple(f for f in FIELDS if f in self.asserts or f in extra))


HTTP = 'CMD ["python3", "-m", "http.server", "8000"]\n'
HEALTH = "HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD "

# A tiny static TCP server: listens on argv[1], exits 0 on SIGTERM.
TSERVE_C = r"""
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
static void bye(int s) { (void)s; _exit(0); }
int main(int argc, char **argv) {
    signal(SIGTERM, bye);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a; memset(&a, 0, sizeof a);
    a.sin_family = AF_INET; a.sin_port = htons(argc > 1 ? atoi(argv[1]) : 8080);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 16)) return 2;
    for (;;) { int c = accept(fd, 0, 0); if (c >= 0) { write(c, "ok\n", 3); close(c); } }
}
"""
STATIC_STAGE = 'FROM {gcc} AS build\nCOPY tserve.c /src/\nRUN gcc -static -O1 -o /tserve /src/tserve.c\n'

UDP_PY = """import signal, socket, sys
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
while True:
    data, peer = s.recvfrom(512)
    s.sendto(data, peer)
"""
SLOW_PY = """import http.server, signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
time.sleep(8)   # warming caches, migrating a database...
http.server.ThreadingHTTPServer(("", 8000), http.server.SimpleHTTPRequestHandler).serve_forever()
"""
SERVE_PY = """import http.server, signal, sys
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
http.server.ThreadingHTTPServer(("", port), http.server.SimpleHTTPRequestHandler).serve_forever()
"""
HOG_PY = "blocks = []\nwhile True:\n    blocks.append(bytearray(64 << 20))\n"

CASES = (
    Case("service-root", "python http.server as root on its EXPOSEd port; as PID 1 it ignores SIGTERM",
         "FROM {tools}\nEXPOSE 8000\n" + HTTP, ("entrypoint", "state", "ports", "uid", "stop")),
    Case("service-nonroot", "a non-root service that handles SIGTERM",
         "FROM {tools}\nCOPY serve.py /app/serve.py\nUSER app\nEXPOSE 8000\n"
         'CMD ["python3", "/app/serve.py"]\n',
         ("entrypoint", "state", "ports", "uid", "stop"), {"serve.py": SERVE_PY}),
    Case("shell-form", "shell-form CMD: PID 1 is /bin/sh -c (bookworm's dash does not exec the command), "
         "which ignores SIGTERM as PID 1",
         "FROM {tools}\nEXPOSE 8000\nCMD python3 -m http.server 8000\n",
         ("state", "ports", "uid", "stop")),
    Case("daemonizing", "nginx as shipped daemonizes: PID 1 exits 0 at once and the container stops",
         "FROM {tools}\nEXPOSE 80\nCMD [\"nginx\"]\n", ("entrypoint", "state")),
    Case("nginx-foreground", "nginx with daemon off as root on port 80, stops on SIGQUIT/SIGTERM",
         "FROM {tools}\nEXPOSE 80\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n",
         ("entrypoint", "state", "ports", "uid", "stop")),
    Case("loopback-only", "a server bound to 127.0.0.1 cannot be reached through a published port",
         "FROM {tools}\nUSER app\nEXPOSE 8000\n"
         'CMD ["python3", "-m", "http.server", "--bind", "127.0.0.1", "8000"]\n',
         ("state", "ports")),
    Case("expose-partial", "EXPOSE 8000 8001 while only 8000 listens",
         "FROM {tools}\nUSER app\nEXPOSE 8000 8001\n" + HTTP, ("state", "ports")),
    Case("udp", "a UDP echo service on its EXPOSEd udp port",
         "FROM {tools}\nCOPY udp.py /app/udp.py\nUSER app\nEXPOSE 5353/udp\n"
         'CMD ["python3", "/app/udp.py"]\n', ("state", "ports", "stop"), {"udp.py": UDP_PY}),
    Case("low-port-nonroot", "a non-root service on port 80 (Docker sets ip_unprivileged_port_start=0)",
         "FROM {tools}\nUSER app\nEXPOSE 80\n" 'CMD ["python3", "-m", "http.server", "80"]\n',
         ("state", "ports", "uid"),
         docker_note="Docker >= 20.10 sets net.ipv4.ip_unprivileged_port_start=0 in a container with "
                     "its own network namespace; older engines refuse the bind (EACCES)"),
    Case("health-pass", "HEALTHCHECK with curl against the running server",
         "FROM {tools}\nUSER app\nEXPOSE 8000\n" + HEALTH + "curl -fsS -o /dev/null http://127.0.0.1:8000/\n"
         + HTTP, ("state", "ports", "health")),
    Case("health-fail", "HEALTHCHECK against a port nothing listens on",
         "FROM {tools}\nUSER app\nEXPOSE 8000\n" + HEALTH + "curl -fsS -o /dev/null http://127.0.0.1:9999/\n"
         + HTTP, ("state", "ports", "health")),
    Case("crlf-shebang", "a start script saved with Windows line endings: #!/bin/sh\\r",
         "FROM {tools}\nCOPY start.sh /start.sh\nRUN chmod 755 /start.sh\nCMD [\"/start.sh\"]\n",
         ("entrypoint", "state"), {"start.sh": "#!/bin/sh\r\necho started\r\n"},
         docker_note="the script exists, so runc's pre-exec check passes and the container starts; the "
                     "kernel's execve then fails: runc 1.1 prints 'exec /start.sh: no such file or directory', "
                     "runc 1.0 and older 'standard_init_linux.go:NNN: exec user process caused: no such file "
                     "or directory', and the exit code is 1 (not 127 as for a missing file)"),
    Case("no-exec-bit", "a start script without the execute bit",
         "FROM {tools}\nCOPY start.sh /start.sh\nRUN chmod 644 /start.sh\nCMD [\"/start.sh\"]\n",
         ("entrypoint", "state"), {"start.sh": "#!/bin/sh\necho started\n"}),
    Case("env-interpreter-absent", "#!/usr/bin/env python3 on an image without python3",
         "FROM {debian}\nCOPY app.py /app.py\nRUN chmod 755 /app.py\nCMD [\"/app.py\"]\n",
         ("entrypoint", "state"), {"app.py": "#!/usr/bin/env python3\nprint('hi')\n"},
         docker_note="coreutils env exits 127 with \"/usr/bin/env: 'python3': No such file or directory\": "
                     "the container starts, so Docker itself reports no exec error"),
    Case("oneshot", "a one-shot job that succeeds",
         "FROM {tools}\nUSER app\nCMD [\"sh\", \"-c\", \"echo migrating; sleep 0.2; echo done\"]\n",
         ("entrypoint", "state")),
    Case("oneshot-fails", "a one-shot job that fails",
         "FROM {tools}\nUSER app\nCMD [\"python3\", \"-c\", \"raise SystemExit(3)\"]\n",
         ("entrypoint", "state")),
    Case("slow-starter", "a service that needs 8 s before it listens",
         "FROM {tools}\nCOPY slow.py /app/slow.py\nUSER app\nEXPOSE 8000\nCMD [\"python3\", \"/app/slow.py\"]\n",
         ("state", "ports"), {"slow.py": SLOW_PY}, ready_s=20.0),
    Case("user-by-name", "USER app: uid and HOME from /etc/passwd",
         "FROM {tools}\nCOPY serve.py /app/serve.py\nUSER app\nEXPOSE 8000\nCMD [\"python3\", \"/app/serve.py\"]\n",
         ("state", "ports", "uid"), {"serve.py": SERVE_PY}),
    Case("user-uid-absent", "USER 4242 with no passwd entry: Docker runs it as 4242:0",
         "FROM {tools}\nCOPY serve.py /app/serve.py\nUSER 4242\nEXPOSE 8000\nCMD [\"python3\", \"/app/serve.py\"]\n",
         ("state", "ports", "uid"), {"serve.py": SERVE_PY}),
    Case("workdir-missing", "a WORKDIR removed by the last step, so the image lacks it: Docker creates it at start",
         "FROM {tools}\nUSER app\nEXPOSE 8000\n" + HTTP + "WORKDIR /home/app/site\nRUN rmdir /home/app/site\n",
         ("state", "ports", "uid"),
         docker_note="the legacy builder (DOCKER_BUILDKIT=0, Docker 20.10) re-creates a removed WORKDIR in the "
                     "layer of any later step: only a removal in the last step leaves it missing"),
    Case("duplicate-layers", "WORKDIR, RUN rmdir of it, then more steps: the legacy builder re-creates the "
         "directory, so the image's layer list holds the same diff_id twice",
         "FROM {tools}\nWORKDIR /srv/site\nRUN rmdir /srv/site\nUSER app\nEXPOSE 8000\n" + HTTP,
         ("state", "ports"),
         docker_note="Docker 20.10's legacy builder commits the re-created WORKDIR as a layer identical "
                     "to the WORKDIR step's; Docker stacks both copies"),
    Case("workdir-private", "a root-owned chmod 700 WORKDIR before USER app (runc enters it as root)",
         "FROM {tools}\nWORKDIR /srv/private\nRUN chmod 700 /srv/private\nUSER app\nEXPOSE 8000\n"
         'CMD ["python3", "-m", "http.server", "8000", "--directory", "/tmp"]\n',
         ("state", "ports", "uid")),
    Case("workdir-tmp", "a WORKDIR under /tmp holding the application",
         "FROM {tools}\nWORKDIR /tmp/app\nCOPY serve.py .\nUSER app\nEXPOSE 8000\nCMD [\"python3\", \"serve.py\"]\n",
         ("state", "ports"), {"serve.py": SERVE_PY}),
    Case("port-from-env", "the port comes from ENV PORT, in EXPOSE and in the command",
         "FROM {tools}\nENV PORT=8081\nUSER app\nEXPOSE $PORT\n"
         'CMD ["sh", "-c", "exec python3 -m http.server \\"$PORT\\""]\n', ("state", "ports", "stop")),
    Case("scratch-static-root", "FROM scratch with a static binary, no /etc/passwd and no USER: Docker runs 0:0",
         STATIC_STAGE + "FROM scratch\nCOPY --from=build /tserve /tserve\nEXPOSE 8080\nCMD [\"/tserve\", \"8080\"]\n",
         ("entrypoint", "state", "ports", "uid", "stop"), {"tserve.c": TSERVE_C}),
    Case("scratch-static-user", "FROM scratch with a static binary and USER 1000:1000",
         STATIC_STAGE + "FROM scratch\nCOPY --from=build /tserve /tserve\nUSER 1000:1000\nEXPOSE 8080\n"
         'CMD ["/tserve", "8080"]\n', ("entrypoint", "state", "ports", "uid", "stop"), {"tserve.c": TSERVE_C}),
    Case("multi-stage", "build with gcc, ship the binary on the plain Debian base as a non-root user",
         STATIC_STAGE.replace("-static ", "") + "FROM {debian}\nCOPY --from=build /tserve /usr/local/bin/tserve\n"
         "USER 65534\nEXPOSE 9000\nCMD [\"tserve\", \"9000\"]\n",
         ("entrypoint", "state", "ports", "uid", "stop"), {"tserve.c": TSERVE_C}),
    Case("sudo", "a non-root job that uses sudo (Docker sets no no_new_privs by default)",
         "FROM {tools}\nRUN echo 'app ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/app\nUSER app\n"
         'CMD ["sudo", "-n", "id", "-u"]\n', ("entrypoint", "state"),
         docker_note="no_new_privs is off unless --security-opt no-new-privileges (every Docker version)"),
    Case("unshare-user", "unshare --user: Docker's default seccomp profile refuses CLONE_NEWUSER without CAP_SYS_ADMIN",
         "FROM {tools}\nCMD [\"unshare\", \"--user\", \"true\"]\n", ("entrypoint", "state"),
         docker_note="Docker's default seccomp profile (20.10) allows unshare/clone with namespace flags "
                     "only with CAP_SYS_ADMIN; the answer also needs the host to allow user namespaces"),
    Case("bind-hostname-i", "a server bound to $(hostname -i), the container's own address",
         "FROM {tools}\nUSER app\nEXPOSE 8000\n"
         'CMD ["sh", "-c", "exec python3 -m http.server --bind \\"$(hostname -i)\\" 8000"]\n',
         ("state", "ports")),
    Case("expose-wrong-port", "EXPOSE 8080 while the server listens on 8000",
         "FROM {tools}\nUSER app\nEXPOSE 8080\n" + HTTP, ("state", "ports")),
    Case("oom", "a job that allocates without bound under --memory 512m",
         "FROM {tools}\nCOPY hog.py /hog.py\nUSER app\nCMD [\"python3\", \"/hog.py\"]\n",
         ("state", "oom"), {"hog.py": HOG_PY},
         docker_note="Docker 20.10 applies --memory-swap (here 1g, twice --memory as verify does) only "
                     "where the kernel accounts swap; OOMKilled comes from the cgroup's OOM event"),
    Case("busybox-httpd", "busybox httpd from Debian's busybox package, as PID 1 it ignores SIGTERM",
         "FROM {tools}\nRUN mkdir /www && echo hi > /www/index.html\nEXPOSE 8080\n"
         'CMD ["busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n', ("state", "ports", "stop")),
)

BY_NAME = {case.name: case for case in CASES}
assert len(BY_NAME) == len(CASES)
