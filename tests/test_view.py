"""The view model (frontal chest X-ray or not): module, checkpoint, thumbnail, and the bundled weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lungseg.inference.jobs import sample_path
from lungseg.inference.view import bundled_view_model, not_frontal_logit, thumbnail
from lungseg.io.reader import read_xray
from lungseg.model.pretrained import VIEW_MODEL, resolve_model
from lungseg.model.viewnet import ViewConfig, ViewNet, load_view_model, save_view_model


def test_viewnet_gives_one_logit_per_image():
    model = ViewNet(ViewConfig(size=32, channels=(4, 8))).eval()
    assert model(torch.zeros(3, 1, 32, 32)).shape == (3,)


def test_size_must_survive_the_poolings():
    with pytest.raises(ValueError, match="divisible"):
        ViewConfig(size=60, channels=(4, 8, 16))


def test_checkpoint_rebuilds_the_same_model(tmp_path):
    torch.manual_seed(0)
    model = ViewNet(ViewConfig(size=32, channels=(4, 8))).eval()
    save_view_model(tmp_path / "v.pt", model, provenance="test")
    again, payload = load_view_model(tmp_path / "v.pt")
    x = torch.randn(2, 1, 32, 32)
    assert torch.equal(model(x), again(x)) and payload["provenance"] == "test"


def test_a_foreign_file_is_refused_by_name(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"format": "something-else"}, path)
    with pytest.raises(ValueError, match=r"other\.pt"):
        load_view_model(path)


def test_thumbnail_is_standardised_and_ignores_windowing():
    rng = np.random.default_rng(0)
    image = rng.random((300, 200)).astype(np.float32)
    thumb = thumbnail(image, 64)
    assert thumb.shape == (64, 64)
    assert abs(thumb.mean()) < 1e-4 and abs(thumb.std() - 1) < 1e-3
    np.testing.assert_allclose(thumbnail(0.5 * image + 0.2, 64), thumb, atol=1e-4)
    assert np.abs(thumbnail(np.full((100, 100), 0.7, np.float32), 64)).max() < 1e-3  # flat: zeros, nothing amplified


def test_the_view_model_is_not_a_segmentation_model():
    with pytest.raises(ValueError, match="not a segmentation model"):
        resolve_model(VIEW_MODEL)


def test_bundled_view_model_passes_the_sample_and_flags_it_turned():
    """The sample film upright passes; on its side, upside down, blank or as noise it is flagged."""
    assert bundled_view_model() is not None, "the view model must ship with the package"
    pixels = read_xray(sample_path()).pixels
    assert not_frontal_logit(pixels) < 0
    assert not_frontal_logit(pixels[:, ::-1]) < 0  # mirrored is still a frontal film (situs inversus)
    for turned in (np.rot90(pixels), np.rot90(pixels, 3), pixels[::-1]):
        assert not_frontal_logit(np.ascontiguousarray(turned)) > 0
    assert not_frontal_logit(np.full((256, 256), 0.5, np.float32)) > 0
    noise = np.random.default_rng(0).random((256, 256)).astype(np.float32)
    assert not_frontal_logit(noise) > 0

