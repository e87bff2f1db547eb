"""## What it does
Checks a Kubernetes container that must run as non-root (`securityContext.runAsNonRoot:
true` on the container, or on the pod and not overridden) against the Dockerfile in the
repository that builds its image.  When nothing sets `runAsUser` and the Dockerfile's final
stage runs as root (no `USER`, `USER root`, `USER 0`), the kubelet will refuse to start the
container: `container has runAsNonRoot and image will run as root`.

A `USER` given by name (`USER app`) is reported too: the kubelet reads only the image's
user string and cannot tell whether a name is root, so it refuses as well (`image has
non-numeric user (app), cannot verify user is non-root`).  A numeric non-zero uid (`USER
10001`, `USER 10001:10001`), or a non-zero `runAsUser` in the manifest, is quiet.

Images are mapped to Dockerfiles by the `images` config table (`images =
{"ghcr.io/acme/api" = "services/api/Dockerfile"}`, paths relative to the config file;
any tag or digest of the image matches).  Images not in the table are not judged.  Only the
Dockerfile's stages are read: a `USER` set by an external base image is not seen.

## Why is this bad?
The Deployment is rolled out and every pod sits in `CreateContainerConfigError`: the
policy and the image contradict each other, and nothing catches it before the cluster
does.  Severity ERROR.

## Example
```yaml
# services/api/Dockerfile: FROM python:3.12-slim ... CMD ["python", "app.py"]  (no USER)
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4
```

## Use instead
```yaml
# services/api/Dockerfile ends with: USER 10001
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4
```

## References
- https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
- https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#security-context-1
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pylint_image.linter import Context, Manifest, RuleMeta, Severity, SourceLocation, Target, Violation, rule
from pylint_image.rules._shared.users import is_root_name, last_user, user_part


def _security(node: Any) -> dict:
    sc = node.get("securityContext") if isinstance(node, dict) else None
    return sc if isinstance(sc, dict) else {}


def check(manifest: Manifest, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per non-root container whose repository image runs as root."""
    for pc in manifest.pod_containers():
        pod, own = _security(pc.pod_spec), _security(pc.container)
        non_root = own.get("runAsNonRoot", pod.get("runAsNonRoot"))
        run_as = own.get("runAsUser", pod.get("runAsUser"))
        if non_root is not True or run_as is not None or pc.image is None or pc.image.resolved is None:
            continue
        dockerfile = manifest.dockerfile_for(pc.image.resolved)
        if dockerfile is None or dockerfile.final_stage is None:
            continue
        user = last_user(dockerfile)
        name = pc.container.get("name", f"{pc.list_key}[{pc.index}]")
        where = dockerfile.path.as_posix()
        if user is None:
            related = SourceLocation(dockerfile.path, dockerfile.final_stage.from_instruction.span)
            why = f"its Dockerfile ({where}) sets no USER"
        else:
            instruction, value = user
            related = SourceLocation(dockerfile.path, instruction.span)
            uid = user_part(value)
            if "$" in uid:
                continue  # decided at build time
            if is_root_name(value):
                why = f"its Dockerfile sets USER {value} ({where}:{instruction.span.start_line})"
            elif uid.isdigit():
                continue  # a numeric non-root uid: the kubelet verifies it
            else:
                yield Violation(pc.image.span, f"container '{name}' has runAsNonRoot but its image's user "
                                               f"'{uid}' is not numeric ({where}:{instruction.span.start_line}): "
                                               "the kubelet cannot verify it and refuses to start the container; "
                                               "use a numeric USER uid or set runAsUser", related=(related,))
                continue
        yield Violation(pc.image.span, f"container '{name}' has runAsNonRoot but the image will run as root: {why}; "
                                       "the kubelet refuses to start it", related=(related,))


RULE = rule(
    meta=RuleMeta(
        code="MF2003", name="root-image-under-run-as-non-root", severity=Severity.ERROR, target=Target.MANIFEST,
        summary="A runAsNonRoot container's image, built in this repository, runs as root",
        fix_title="End the Dockerfile's final stage with a numeric non-root USER, or set runAsUser",
        tags=frozenset({"security", "correctness"}),
    ),
    check=check,
)
