"""find_image_refs / detect_kind: every reference of each file kind, at the scalar's exact position."""

from __future__ import annotations

import pytest

from pylint_image.linter.errors import InputError
from pylint_image.linter.manifests.refs import detect_kind, find_image_refs


def _written(text: str, ref) -> str:
    """The scalar as written in the file, from the reported span."""
    return text.splitlines()[ref.line - 1][ref.column - 1 : ref.end_column - 1]


@pytest.mark.parametrize(("path", "text", "kind"), [
    ("compose.yaml", "", "compose"),
    ("dir/compose.prod.yml", "", "compose"),
    ("docker-compose.yml", "", "compose"),
    ("docker-compose.override.yaml", "", "compose"),
    (".gitlab-ci.yml", "", "gitlab"),
    ("repo/.github/workflows/ci.yml", "", "github"),
    ("repo/.github/workflows/ci.yaml", "", "github"),
    ("k8s/app.yaml", "apiVersion: v1\nkind: Pod\n", "kubernetes"),
    ("-", "---\napiVersion: apps/v1\nkind: Deployment\n", "kubernetes"),
    ("values.yaml", "image: nginx\n", None),
    ("k8s/app.json", "apiVersion: v1\nkind: Pod\n", None),
    ("Dockerfile", "FROM x\n", None),
    ("repo/.github/ci.yml", "", None),
])
def test_detect_kind(path, text, kind):
    assert detect_kind(path, text) == kind


COMPOSE = """\
services:
  web:
    image: nginx:latest  # a comment
  db:
    image: "postgres:16"
  cache: {image: 'redis:7', ports: ["6379"]}
  built:
    build: .
"""


def test_compose_refs_and_positions():
    refs = find_image_refs(COMPOSE, "compose.yaml")
    assert [(r.value, r.line, r.column, r.style, r.yaml_path) for r in refs] == [
        ("nginx:latest", 3, 12, "", ("services", "web", "image")),
        ("postgres:16", 5, 12, '"', ("services", "db", "image")),
        ("redis:7", 6, 18, "'", ("services", "cache", "image")),
    ]
    assert [_written(COMPOSE, r) for r in refs] == ["nginx:latest", '"postgres:16"', "'redis:7'"]
    assert {r.kind for r in refs} == {"compose"}


K8S = """\
apiVersion: v1
kind: Pod
spec:
  containers:
  - name: a
    image: busybox:1.36
  ephemeralContainers:
  - image: debug:1
---
apiVersion: batch/v1
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
            - image: "{{ .Values.init }}"
          containers:
            - image: app@sha256:0123
---
apiVersion: v1
kind: ConfigMap
data:
  image: not-a-container
"""


def test_kubernetes_multi_document():
    refs = find_image_refs(K8S, "-")
    assert [(r.value, r.line, r.document, r.yaml_path[-3:]) for r in refs] == [
        ("busybox:1.36", 6, 0, ("containers", 0, "image")),
        ("debug:1", 8, 0, ("ephemeralContainers", 0, "image")),
        ("{{ .Values.init }}", 18, 1, ("initContainers", 0, "image")),
        ("app@sha256:0123", 20, 1, ("containers", 0, "image")),
    ]
    assert refs[2].yaml_path[:5] == ("spec", "jobTemplate", "spec", "template", "spec")
    assert _written(K8S, refs[2]) == '"{{ .Values.init }}"'


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"])
def test_kubernetes_templated_workloads(kind):
    text = (f"apiVersion: apps/v1\nkind: {kind}\nspec:\n  template:\n    spec:\n"
            "      containers:\n        - name: x\n          image: alpine:3.20\n")
    [ref] = find_image_refs(text, "w.yaml")
    assert (ref.value, ref.line, ref.column) == ("alpine:3.20", 8, 18)


GITHUB = """\
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    container: node:20
    services:
      db:
        image: postgres
    steps:
      - uses: actions/checkout@v4
      - uses: docker://alpine:3.20
  b:
    container:
      image: 'python:3.12'
"""


def test_github_refs():
    refs = find_image_refs(GITHUB, ".github/workflows/ci.yml")
    assert [(r.value, r.line, r.prefix, _written(GITHUB, r)) for r in refs] == [
        ("node:20", 5, "", "node:20"),
        ("postgres", 8, "", "postgres"),
        ("alpine:3.20", 11, "docker://", "docker://alpine:3.20"),
        ("python:3.12", 14, "", "'python:3.12'"),
    ]


GITLAB = """\
image: ruby:3.3
services:
  - postgres:16
  - name: redis:7
    alias: cache
default:
  image:
    name: alpine
variables:
  image: not-an-image
build:
  image: $CI_REGISTRY_IMAGE/builder:1
  services: ["docker:dind"]
  script: [make]
"""


def test_gitlab_refs():
    refs = find_image_refs(GITLAB, ".gitlab-ci.yml")
    assert [(r.value, r.line, r.yaml_path) for r in refs] == [
        ("ruby:3.3", 1, ("image",)),
        ("postgres:16", 3, ("services", 0)),
        ("redis:7", 4, ("services", 1, "name")),
        ("alpine", 8, ("default", "image", "name")),
        ("$CI_REGISTRY_IMAGE/builder:1", 12, ("build", "image")),
        ("docker:dind", 13, ("build", "services", 0)),
    ]
    assert _written(GITLAB, refs[-1]) == '"docker:dind"'


def test_bad_yaml_is_one_input_error_with_line():
    with pytest.raises(InputError) as info:
        find_image_refs("services:\n  web:\n    image: [unclosed\n", "compose.yaml")
    assert info.value.line is not None and "invalid YAML" in str(info.value)
    assert "\n" not in str(info.value)


def test_not_a_manifest_has_no_refs():
    assert find_image_refs("image: nginx\n", "values.yaml") == []


def test_merge_keys_point_at_the_anchor_once():
    text = ("x-base: &base\n  image: nginx:latest\nservices:\n  a:\n    <<: *base\n  c:\n    <<: *base\n"
            "  b:\n    <<: *base\n    image: redis\n")
    refs = find_image_refs(text, "compose.yaml")
    assert [(r.value, r.line, _written(text, r)) for r in refs] == [("nginx:latest", 2, "nginx:latest"),
                                                                    ("redis", 10, "redis")]
