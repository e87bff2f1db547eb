"""ContentNeeds' glob matcher (tails and literal hints first) against plain fnmatch regexes."""

from __future__ import annotations

import fnmatch
import random
import re

import pytest

from pylint_image.linter.oci.layer import ContentNeeds, GlobMatcher

# The globs the built-in rules ask for, plus shapes that stress the shortcuts: no tail,
# classes, '?', an unclosed '[', a glob without wildcards.
GLOBS = ("/*.key", "/*.pem", "/*/.aws/credentials", "/*/.docker/config.json", "/*/.env", "/*/.env.*",
         "/*/id_rsa", "/root/.ssh/*", "/etc/[ab]*.conf", "/x/?", "/y[z", "/exact/path", "/*/sec[!r]et*",
         "/opt/*/bin/*", "/a*b?c")
_PIECES = ("a", "b", "c", "x", "y[z", "key", ".key", ".pem", "id_rsa", ".env", ".env.local", "root",
           ".ssh", "etc", "a.conf", "c.conf", "secret", "sec/et", "opt", "bin", "exact", "path", "z", "?")


def _paths(rng: random.Random, count: int) -> list[str]:
    return ["/" + "/".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 5))) for _ in range(count)]


@pytest.mark.parametrize("seed", range(40))
def test_the_matcher_agrees_with_fnmatch_on_random_globs_and_paths(seed: int) -> None:
    rng = random.Random(seed)
    globs = rng.sample(GLOBS, rng.randint(1, len(GLOBS)))
    plain = re.compile("|".join(fnmatch.translate(g) for g in globs))
    matcher = GlobMatcher(globs)
    paths = _paths(rng, 400) + ["/exact/path", "/y[z", "/x/a", "/root/.ssh/a/b", "/etc/a.conf", "/r/.env.x",
                                "/k/a.key", "/u/.docker/config.json", "/opt/q/bin/z", "/axbyc", "/s/secxet1"]
    hits = 0
    for path in paths:
        want = plain.match(path) is not None
        assert matcher.match(path) is want, (globs, path)
        hits += want
    assert hits  # the random paths do match sometimes


def test_content_needs_built_directly_still_matches_its_globs() -> None:
    direct = ContentNeeds(paths=frozenset({"/etc/passwd"}), globs=("/app/*",))
    assert direct.wants("/app/conf", 10) and direct.wants("/etc/passwd", 10)
    assert not direct.wants("/etc/group", 10) and not direct.wants("/app/conf", 10 ** 9)
    assert ContentNeeds.of(direct) .wants("/app/x/y", 1)
    assert not ContentNeeds().wants("/app/conf", 1)
