"""Pure helpers of the model client: roro.yml's project key and the serialisation choice."""

import io
import sys

import pytest

from roro import models
from roro.project import project_from_yml


@pytest.mark.parametrize(
    "text, expected",
    [
        ("project: credit-risk\nruntime: python3\n", "credit-risk"),
        ('runtime: python3\nproject: "quoted-name"  # comment\n', "quoted-name"),
        ("project: 'single'\n", "single"),
        ("services:\n  - name: default\n    project: nested\n", None),
        ("project:\n", None),
        ("# project: commented\n", None),
    ],
)
def test_project_from_yml(text, expected):
    assert project_from_yml(text) == expected


def test_encoding_falls_back_to_pickle(monkeypatch):
    monkeypatch.setitem(sys.modules, "joblib", None)  # makes `import joblib` raise ImportError
    assert models.choose_encoding() == "pickle"


def test_pickle_round_trip():
    buf = io.BytesIO()
    models.dump({"w": [1, 2, 3]}, buf, "pickle")
    buf.seek(0)
    assert models.load(buf, "pickle") == {"w": [1, 2, 3]}


def test_unknown_encoding_is_refused():
    with pytest.raises(models.RoroError, match="joblib and pickle"):
        models.load(io.BytesIO(b""), "zstd-onnx")


def test_import_roro_stays_light():
    import subprocess

    code = "import roro, sys; print('roro.models' in sys.modules, 'http.client' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=".")
    assert out.stdout.split() == ["False", "False"]
