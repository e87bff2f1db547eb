"""The one image-reference type: distribution/reference's normalisation cases, "official", ImageRef.

The tables mirror ``normalize_test.go`` (TestValidateReferenceName, TestValidateRemoteName,
TestParseRepositoryInfo) and ``reference_test.go`` (TestReferenceParse) of
github.com/distribution/reference, with this project's one difference: sha512 (and sha384)
digests are accepted, as docker and BuildKit register them.
"""

from __future__ import annotations

import pytest

from pylint_image.linter import ImageRef, InvalidReference, Reference
from pylint_image.linter.parse import parse_dockerfile, parse_image_ref
from pylint_image.linter.reference import HUB_MIRRORS, is_official, official_image_names, upstream

HEX64 = "f" * 64
SHA = "sha256:" + HEX64

VALID_NAMES = [
    "docker/docker", "library/debian", "debian", "localhost/library/debian", "localhost/debian",
    "LOCALDOMAIN/library/debian", "LOCALDOMAIN/debian", "docker.io/docker/docker", "docker.io/library/debian",
    "docker.io/debian", "index.docker.io/docker/docker", "index.docker.io/library/debian", "index.docker.io/debian",
    "127.0.0.1:5000/docker/docker", "127.0.0.1:5000/library/debian", "127.0.0.1:5000/debian", "192.168.0.1",
    "192.168.0.1:80", "192.168.0.1:8/debian", "192.168.0.2:25000/debian",
    "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "[fc00::1]:5000/docker",
    "[fc00::1]:5000/docker/docker", "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
    "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "Docker/docker", "DOCKER/docker",
    # TestValidateRemoteName
    "docker-rules/docker", "docker---rules/docker", "doc/docker", "d/docker", "jess/t", "dock__er/docker",
]

INVALID_NAMES = [
    "https://github.com/docker/docker", "docker/Docker", "-docker", "-docker/docker", "-docker.io/docker/docker",
    "docker///docker", "docker.io/docker/Docker", "docker.io/docker///docker", "[fc00::1]", "[fc00::1]:5000",
    "fc00::1:5000/debian", "[fe80::1%eth0]:5000/debian", "[2001:db8:3:4::192.0.2.33]:5000/debian",
    "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
    # TestValidateRemoteName
    "docker-/docker", "-docker-/docker", "____/____", "_docker/_docker", "dock..er/docker", "dock_.er/docker",
    "dock-.er/docker", "docker/", "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_" * 4 + "/docker",
    # TestReferenceParse
    "", ":justtag", "@" + SHA, "repo@sha256:" + "f" * 34, "validname@invaliddigest:" + HEX64, "Uppercase:tag",
    "test:5000/Uppercase/lowercase:tag", "domain/" + "a" * 256 + ":tag", "aa/asdf$$^/aa", "[2001:db8::1]",
    "[2001:db8::1]:5000", "[2001:db8::1]:tag", "[fe80::1%eth0]:5000/repo", "[fe80::1%@invalidzone]:5000/repo",
    # and what a Dockerfile gets wrong
    "ubuntu:", "ubuntu@", "ubuntu:t t", "ubuntu@sha256:" + "F" * 64, "ubuntu@md5:" + "f" * 32, "a b",
    "busybox:${TAG}", "ubuntu:" + "x" * 129,
]


@pytest.mark.parametrize("text", VALID_NAMES)
def test_valid_names(text: str) -> None:
    assert Reference.parse(text).text == text


@pytest.mark.parametrize("text", INVALID_NAMES)
def test_invalid_names(text: str) -> None:
    with pytest.raises(InvalidReference):
        Reference.parse(text)


# (written, familiar name, canonical name, domain, path): TestParseRepositoryInfo
REPOSITORY_INFO = [
    ("localhost/fooo", "localhost/fooo", "localhost/fooo", "localhost", "fooo"),
    ("localhost/fooo/bar", "localhost/fooo/bar", "localhost/fooo/bar", "localhost", "fooo/bar"),
    ("LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN", "fooo"),
    ("fooo/bar", "fooo/bar", "docker.io/fooo/bar", "docker.io", "fooo/bar"),
    ("index.docker.io/fooo/bar", "fooo/bar", "docker.io/fooo/bar", "docker.io", "fooo/bar"),
    ("ubuntu", "ubuntu", "docker.io/library/ubuntu", "docker.io", "library/ubuntu"),
    ("library/ubuntu", "ubuntu", "docker.io/library/ubuntu", "docker.io", "library/ubuntu"),
    ("docker.io/library/ubuntu", "ubuntu", "docker.io/library/ubuntu", "docker.io", "library/ubuntu"),
    ("nonlibrary/ubuntu", "nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", "docker.io", "nonlibrary/ubuntu"),
    ("other/library", "other/library", "docker.io/other/library", "docker.io", "other/library"),
    ("127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase",
     "127.0.0.1:8000", "private/moonbase"),
    ("127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000",
     "privatebase"),
    ("example.com:8000/private/moonbase", "example.com:8000/private/moonbase", "example.com:8000/private/moonbase",
     "example.com:8000", "private/moonbase"),
    ("index.docker.io/library/ubuntu-12.04-base", "ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base",
     "docker.io", "library/ubuntu-12.04-base"),
    ("docker.io/foo", "foo", "docker.io/library/foo", "docker.io", "library/foo"),
    ("library/foo/bar", "library/foo/bar", "docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
    ("store/foo/bar", "store/foo/bar", "docker.io/store/foo/bar", "docker.io", "store/foo/bar"),
    ("Foo/bar", "Foo/bar", "Foo/bar", "Foo", "bar"),
    ("FOO/bar", "FOO/bar", "FOO/bar", "FOO", "bar"),
    # Docker Hub's API host is a domain of its own for the grammar; only the registry client maps to it
    ("registry-1.docker.io/library/x", "registry-1.docker.io/library/x", "registry-1.docker.io/library/x",
     "registry-1.docker.io", "library/x"),
]


@pytest.mark.parametrize(("text", "familiar", "canonical", "domain", "path"), REPOSITORY_INFO)
def test_repository_info(text: str, familiar: str, canonical: str, domain: str, path: str) -> None:
    ref = Reference.parse(text)
    assert (ref.familiar_name, ref.name, ref.domain, ref.path) == (familiar, canonical, domain, path)
    assert ref.tag is None and ref.digest is None


# (written, domain, path, tag, digest): TestReferenceParse, through the normalising parser
REFERENCES = [
    ("test_com", "docker.io", "library/test_com", None, None),
    ("test.com:tag", "docker.io", "library/test.com", "tag", None),
    ("test.com:5000", "docker.io", "library/test.com", "5000", None),
    ("test.com/repo:tag", "test.com", "repo", "tag", None),
    ("test:5000/repo", "test:5000", "repo", None, None),
    ("test:5000/repo:tag", "test:5000", "repo", "tag", None),
    ("test:5000/repo@" + SHA, "test:5000", "repo", None, SHA),
    ("test:5000/repo:tag@" + SHA, "test:5000", "repo", "tag", SHA),
    ("lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", None),
    ("a/" * 127 + "a:tag-puts-this-over-max", "docker.io", "a/" * 127 + "a", "tag-puts-this-over-max", None),
    ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", None),
    ("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
     "test.example.com", None),
    ("xn--7o8h.com/myimage:xn--7o8h.com@" + SHA, "xn--7o8h.com", "myimage", "xn--7o8h.com", SHA),
    ("foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", None),
    ("foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", None),
    ("192.168.1.1", "docker.io", "library/192.168.1.1", None, None),
    ("192.168.1.1:5000", "docker.io", "library/192.168.1.1", "5000", None),
    ("192.168.1.1/repo", "192.168.1.1", "repo", None, None),
    ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", None),
    ("[2001:db8::1]/repo", "[2001:db8::1]", "repo", None, None),
    ("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", None),
    ("[2001:db8::1]:5000/repo:tag@" + SHA, "[2001:db8::1]:5000", "repo", "tag", SHA),
    ("[::1]:5000/repo", "[::1]:5000", "repo", None, None),
    ("example.com/" + "a" * 255 + ":tag", "example.com", "a" * 255, "tag", None),
    ("busybox:latest@sha256:" + "86e0" * 16, "docker.io", "library/busybox", "latest", "sha256:" + "86e0" * 16),
    ("x@sha512:" + "f" * 128, "docker.io", "library/x", None, "sha512:" + "f" * 128),
]


@pytest.mark.parametrize(("text", "domain", "path", "tag", "digest"), REFERENCES)
def test_reference_parts(text: str, domain: str, path: str, tag: str | None, digest: str | None) -> None:
    ref = Reference.parse(text)
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (domain, path, tag, digest)
    # str() is the canonical form, and parsing it gives the same reference back
    assert Reference.parse(str(ref)) == ref and Reference.parse(ref.familiar) == ref


def test_equality_ignores_how_it_was_written() -> None:
    assert Reference.parse("python:3") == Reference.parse("docker.io/library/python:3")
    assert Reference.parse("python:3") != Reference.parse("python:3.12")
    assert str(Reference.parse("python:3")) == "docker.io/library/python:3"
    assert Reference.parse("python:3").familiar == "python:3"
    assert hash(Reference.parse("index.docker.io/library/python")) == hash(Reference.parse("python"))


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty image reference"),
    ("Uppercase:tag", "repository name 'library/Uppercase' must be lower-case"),
    ("ubuntu:", "malformed tag ''"),
    ("h.io/x@sha256:zz", "malformed digest 'sha256:zz'"),
    ("x@md5:" + "f" * 32, "unsupported digest algorithm 'md5'"),
    ("x@sha256:" + "f" * 63, "malformed digest 'sha256:" + "f" * 63 + "' (sha256 is 64 lower-case hex digits)"),
    ("h.io/a/../b", "not an image reference ([domain/]path[:tag][@digest])"),
    (HEX64, "a 64-character hexadecimal string is an image id, not a repository name"),
])
def test_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidReference) as caught:
        Reference.parse(text)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_split_knows_the_domain_of_partial_text() -> None:
    assert Reference.split("ghcr.io/cross-rs/${BASE}:1") == ("ghcr.io", "cross-rs/${BASE}", "1", None)
    assert Reference.split("python:${V}") == ("docker.io", "library/python", "${V}", None)


@pytest.mark.parametrize(("text", "official"), [
    ("python:3", True),
    ("docker.io/library/debian:12", True),
    ("index.docker.io/library/alpine:3.20", True),
    ("library/python", True),
    ("arm64v8/alpine", True),  # the Official Images program's per-architecture namespaces
    ("public.ecr.aws/docker/library/node:20", True),  # mirrors of Docker Hub's library
    ("mirror.gcr.io/busybox:1.36", True),
    ("mirror.gcr.io/library/busybox:1.36", True),
    ("registry-1.docker.io/library/python:3", True),
    ("centos:7", False),  # library/, but no longer in the program
    ("someone/python", False),
    ("bitnami/python:3.12", False),
    ("ghcr.io/x/python", False),
    ("ghcr.io/library/python", False),
    ("public.ecr.aws/someone/python", False),
    ("library/python/extra", False),
    ("arm64v8/notanofficialname", False),
])
def test_official(text: str, official: bool) -> None:
    ref = Reference.parse(text)
    assert ref.is_official is official
    assert is_official(ref) is official


def test_official_names_come_from_the_shipped_list() -> None:
    names = official_image_names()
    assert len(names) == 144 and {"python", "debian", "alpine", "busybox"} <= names and "centos" not in names


def test_mirror_hook() -> None:
    ref = Reference.parse("public.ecr.aws/docker/library/node:20@" + SHA)
    hub = upstream(ref)
    assert (hub.name, hub.tag, hub.digest) == ("docker.io/library/node", "20", SHA)
    assert ref.is_docker_hub is False and hub.is_docker_hub is True
    # without the mirror table, a mirror is just another registry
    assert upstream(ref, ()) is ref and not is_official(ref, ())
    company = ((("registry.example.com/hub/"), ""),)
    assert is_official(Reference.parse("registry.example.com/hub/library/python:3"), company)
    assert not is_official(Reference.parse("registry.example.com/hub/library/python:3"))
    assert all(prefix.endswith("/") for prefix, _ in HUB_MIRRORS)


def test_image_ref_of_a_from() -> None:
    df = parse_dockerfile("x", "ARG V\nARG T=3.12\nFROM python:$T AS a\nFROM a\nFROM scratch\n"
                               "FROM python:${V}\nFROM Ubuntu:22.04\n")
    a, alias, scratch, partial, invalid = (s.base for s in df.stages)
    assert a.reference == Reference.parse("python:3.12") and a.reference.text == "python:3.12"
    assert (a.registry, a.repository, a.tag, a.digest, a.is_official) == ("docker.io", "library/python", "3.12", None,
                                                                          True)
    assert a.span is not None and df.line(3)[a.span.start_col - 1:a.span.end_col - 1] == "python:$T"
    assert alias.is_stage_alias and alias.reference is None and alias.registry is None
    assert scratch.is_scratch and scratch.reference is None and scratch.repository == ""
    # unresolved: no reference, but what the text says is kept for heuristics
    assert partial.has_variables and partial.reference is None
    assert (partial.registry, partial.repository, partial.tag) == ("docker.io", "library/python", "${V}")
    assert invalid.reference is None and not invalid.has_variables and not invalid.is_official


@pytest.mark.parametrize(("text", "registry", "repository", "tag", "digest"), [
    ("ubuntu", "docker.io", "library/ubuntu", None, None),
    ("ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", None),
    ("bitnami/redis:7", "docker.io", "bitnami/redis", "7", None),
    ("quay.io/prometheus/node-exporter:v1", "quay.io", "prometheus/node-exporter", "v1", None),
    ("localhost/img", "localhost", "img", None, None),
    ("registry:5000/a/b:c@" + SHA, "registry:5000", "a/b", "c", SHA),
    ("index.docker.io/library/nginx", "docker.io", "library/nginx", None, None),
])
def test_parse_image_ref(text: str, registry: str, repository: str, tag: str | None, digest: str | None) -> None:
    ref = parse_image_ref(text)
    assert isinstance(ref, ImageRef) and ref.reference is not None
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (registry, repository, tag, digest)
    assert not ref.is_scratch and not ref.is_stage_alias and not ref.has_variables


# regexp.go's patterns, to check the str-method validators against (Go's \w is ASCII).
_GO = {
    "component": r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*",
    "domain": r"(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*"
              r"[a-zA-Z0-9]))*|\[(?:[a-fA-F0-9:]+)\])(?::[0-9]+)?",
    "tag": r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}",
    "algorithm": r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*",
}


@pytest.mark.parametrize("kind", sorted(_GO))
def test_validators_agree_with_the_grammar(kind: str) -> None:
    import random
    import re

    from pylint_image.linter import reference

    check = {"component": reference._is_component, "domain": reference._is_domain, "tag": reference._is_tag,
             "algorithm": reference._is_algorithm}[kind]
    pattern = re.compile(_GO[kind], re.ASCII)
    alphabet = "aZ09.-_:[]+/é "
    rng = random.Random(kind)
    samples = ["", "a", "a" * 128, "a" * 129, "[::1]", "[::1]:", "[::1]:5000", "h:", "h:5", "a--b", "a__b", "a___b",
               "a._b", "-a", "a-", "1a", "a.b.c:1", "[]", "[g]", "A1+b.c", "a+", "é"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(20000)]
    for text in samples:
        assert check(text) is bool(pattern.fullmatch(text)), (kind, text)
