import pytest

from lungseg.inference.segmenter import Segmenter
from lungseg.model import pretrained
from lungseg.model.checkpoint import save_checkpoint
from lungseg.model.pretrained import PretrainedCfg, resolve_pretrained, sha256_of
from lungseg.model.unet import UNet


def register(monkeypatch, tmp_path, sha: str | None = None) -> PretrainedCfg:
    path = tmp_path / "weights.pt"
    save_checkpoint(path, UNet(base_channels=2, depth=2), train_config={"image_size": 32}, threshold=0.4)
    cfg = PretrainedCfg("tiny", "weights.pt", sha or sha256_of(path), 32, "same", "equalize", "synthetic", "MIT")
    monkeypatch.setitem(pretrained.PRETRAINED, "tiny", cfg)
    monkeypatch.setattr(pretrained, "weights_path", lambda c: tmp_path / c.file)
    return cfg


def test_bundled_model_loads_by_name_with_its_threshold(monkeypatch, tmp_path):
    register(monkeypatch, tmp_path)
    segmenter = Segmenter.from_pretrained("tiny", heart=None)
    assert segmenter.image_size == 32 and segmenter.threshold == 0.4 and segmenter.heart is None


def test_altered_weights_are_refused(monkeypatch, tmp_path):
    register(monkeypatch, tmp_path, sha="0" * 64)
    with pytest.raises(ValueError, match="sha256"):
        resolve_pretrained("tiny")


def test_unknown_name_lists_the_bundled_ones(monkeypatch, tmp_path):
    register(monkeypatch, tmp_path)
    with pytest.raises(ValueError, match="tiny"):
        resolve_pretrained("nope")
