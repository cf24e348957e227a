"""``lungseg serve``: the API on a real X-ray, a broken file, an oversized upload; nothing kept on disk."""

import base64
import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lungseg.inference.jobs import sample_path
from lungseg.inference.segmenter import Segmenter
from lungseg.serve.app import create_app, display_name

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Segmenter.from_pretrained(), max_bytes=2 * 1024 * 1024))


def decode(data_url: str) -> np.ndarray:
    assert data_url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))))


def leftovers() -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob("lungseg-serve-*"))


def test_page_and_a_real_xray(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="file"' in page.text and "up to 2 MB" in page.text
    data = sample_path().read_bytes()
    reply = client.post("/api/segment", content=data, headers={"X-Filename": "chest%20one.png"})
    assert reply.status_code == 200
    body = reply.json()
    expected = Segmenter.from_pretrained()(sample_path())
    assert body["name"] == "chest one.png"
    assert np.array_equal(decode(body["mask"]) > 0, expected.mask)  # the same mask as the library gives
    assert np.array_equal(decode(body["labels"]), expected.labels)
    assert decode(body["overlay"]).shape[2] == 3
    assert body["measurements"]["area_px"] == expected.measurements["area_px"]
    assert 0 <= body["quality"] <= 1 and "not_frontal_cxr" not in body["flags"]
    assert not leftovers()


def test_broken_empty_and_oversized_uploads_get_clear_messages(client):
    broken = client.post("/api/segment", content=b"\x89PNG\r\n\x1a\n garbage", headers={"X-Filename": "bad.png"})
    assert broken.status_code == 422
    assert broken.json()["error"].startswith("bad.png:") and "lungseg-serve" not in broken.json()["error"]
    empty = client.post("/api/segment", content=b"", headers={"X-Filename": "e.png"})
    assert empty.status_code == 400 and "empty upload" in empty.json()["error"]
    big = client.post("/api/segment", content=b"0" * (3 * 1024 * 1024), headers={"X-Filename": "big.png"})
    assert big.status_code == 413 and "2 MB limit" in big.json()["error"]
    assert not leftovers()


def test_client_names_never_become_paths():
    assert display_name("../../etc/passwd") == "passwd"
    assert display_name("C:\\x\\y.dcm") == "y.dcm"
    assert display_name("a\x00b\nc.png") == "abc.png"
    assert display_name("") == "upload" and len(display_name("x" * 500)) == 80


def test_the_page_runs_on_onnxruntime_too(monkeypatch):
    """``lungseg serve --backend onnxruntime``: the serve command builds its segmenter on that backend, and the
    page gives the library's ONNX Runtime mask."""
    pytest.importorskip("onnxruntime")
    from lungseg.cli import main
    from lungseg.serve import app as serve_app

    built = {}

    def fake_run(app, **kwargs):  # stands in for uvicorn.run: keep the app instead of serving forever
        built["app"] = app

    import fastapi

    monkeypatch.setattr(serve_app, "_fastapi", lambda: (fastapi, type("U", (), {"run": staticmethod(fake_run)})))
    assert main(["serve", "--backend", "onnxruntime", "--port", "8123"]) == 0
    reply = TestClient(built["app"]).post("/api/segment", content=sample_path().read_bytes())
    expected = Segmenter.from_pretrained(backend="onnxruntime")(sample_path())
    assert reply.status_code == 200 and np.array_equal(decode(reply.json()["mask"]) > 0, expected.mask)
