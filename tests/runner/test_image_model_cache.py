"""verify's image-model cache: only models this user's verify wrote (MAC'd) are ever unpickled."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from pylint_image.linter.oci import load_image
from pylint_image.runner import image_level
from tests.support import synth_image as synth


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    spec = {"layers": [{"files": [{"path": "/etc/motd", "content": "hi\n"}]}]}
    return load_image(synth.write_oci_layout(spec, tmp_path / "layout"))


class _Boom:
    """Unpickling this runs code: what an attacker's pickle in a shared cache would do."""

    def __reduce__(self):
        return (Path.touch, (Path(__file__).parent / ".never-created",))


def test_a_kept_model_loads_and_a_tampered_one_is_ignored(tmp_path, model):
    path = tmp_path / "images" / "m.pickle"
    image_level._keep(path, model)
    loaded = image_level._load(path)
    assert loaded is not None and loaded.digest == model.digest
    assert [layer.diff_id for layer in loaded.layers] == [layer.diff_id for layer in model.layers]
    assert dict(loaded.files.entries) == dict(model.files.entries) and "/etc/motd" in loaded.files
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    assert image_level._load(path) is None


def test_a_foreign_pickle_is_never_unpickled(tmp_path, model):
    marker = Path(__file__).parent / ".never-created"
    path = tmp_path / "images" / "m.pickle"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\0" * 32 + pickle.dumps(_Boom()))
    assert image_level._load(path) is None
    assert not marker.exists()
