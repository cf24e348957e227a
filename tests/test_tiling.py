import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lungseg.inference.predict import predict_logits
from lungseg.inference.tiling import (
    TileGeometry,
    blend_weights,
    model_tile_geometry,
    positions,
    sliding_window,
    tile_starts,
)
from lungseg.model.unet import ModelConfig, UNet


def box_filter_valid(x: torch.Tensor) -> torch.Tensor:
    """A model-free "valid" predictor: 5x5 mean without padding (loses 2 px per side)."""
    return F.avg_pool2d(x, 5, stride=1)


def test_tile_starts_cover_the_length():
    assert tile_starts(100, 40, 32) == [0, 32, 64]
    assert tile_starts(30, 40, 32) == [0]
    for length in (1, 40, 41, 97, 300):
        starts = tile_starts(length, 40, 16)
        assert starts[-1] + 40 >= length and all(s % 16 == 0 for s in starts)


def test_blend_weights():
    assert np.all(blend_weights(8, "constant") == 1)
    g = blend_weights(33, "gaussian")
    assert g[16, 16] == 1 and g[0, 0] == pytest.approx(1e-3) and np.allclose(g, g.T)
    with pytest.raises(ValueError, match="gaussian"):
        blend_weights(8, "cosine")


@pytest.mark.parametrize(("h", "w"), [(37, 50), (64, 64), (9, 120)])
def test_model_free_valid_tiling_equals_direct(h, w):
    x = torch.rand(2, 1, h, w)
    geometry = TileGeometry(in_tile=20, out_tile=16, step=16)
    tiled = sliding_window(x, box_filter_valid, geometry)
    direct = box_filter_valid(F.pad(x, (2, 2, 2, 2), mode="reflect"))
    torch.testing.assert_close(tiled, direct, rtol=0, atol=1e-6)


def test_model_free_same_tiling_with_gaussian_blend_equals_pointwise():
    x = torch.rand(1, 1, 70, 45)
    geometry = TileGeometry(in_tile=32, out_tile=32, step=16, blend="gaussian")
    tiled = sliding_window(x, lambda t: 3 * t - 1, geometry)
    torch.testing.assert_close(tiled, 3 * x - 1)


@pytest.mark.parametrize(("h", "w"), [(100, 130), (61, 61)])
def test_valid_unet_tiled_equals_single_pass(h, w):
    torch.manual_seed(0)
    model = UNet(base_channels=4, depth=2, padding="valid").eval()
    for p in model.modules():  # non-trivial BatchNorm statistics
        if isinstance(p, torch.nn.BatchNorm2d):
            p.running_mean.uniform_(-0.1, 0.1)
            p.running_var.uniform_(0.5, 1.5)
    x = torch.rand(1, 1, h, w)
    geometry = model_tile_geometry(model.config, tile=60)
    assert geometry.in_tile == 60 and geometry.out_tile == 20 and len(positions(h, w, geometry)) > 4
    with torch.no_grad():
        single = predict_logits(model, x)
        tiled = sliding_window(x, model, geometry)
    torch.testing.assert_close(tiled, single, rtol=1e-4, atol=1e-5)


def test_same_unet_tiled_is_close_to_single_pass():
    torch.manual_seed(0)
    model = UNet(base_channels=4, depth=2).eval()
    x = torch.rand(1, 1, 96, 96)
    geometry = model_tile_geometry(model.config, tile=64, overlap=0.5)
    assert (geometry.in_tile, geometry.step, geometry.blend) == (64, 32, "gaussian")
    with torch.no_grad():
        single, tiled = predict_logits(model, x), sliding_window(x, model, geometry)
    # the tile centers see the same context as the single pass: the difference is small
    assert (tiled - single).abs().mean() < 0.05 * single.abs().mean()


def test_geometry_rounds_to_sizes_the_model_accepts():
    g = model_tile_geometry(ModelConfig(depth=4, padding="valid"), tile=570)
    assert (g.in_tile, g.out_tile, g.offset, g.step) == (572, 388, 92, 384)
    assert model_tile_geometry(ModelConfig(depth=4), tile=250).in_tile == 256
