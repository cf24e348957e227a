"""Cutting a trained U-Net to fewer channels keeps its strongest ones (model/narrow.py), and fine-tuning can start
there."""

import pytest
import torch

from lungseg.model.checkpoint import load_initial_weights, save_checkpoint
from lungseg.model.narrow import narrow
from lungseg.model.unet import UNet


def _half_dead(depth: int, seed: int = 0) -> UNet:
    """A U-Net of width 8 whose feature maps each have 4 live channels (a random half) and 4 dead ones: zero
    BatchNorm scale and shift (zero after the ReLU), or zero transposed-convolution weights and bias."""
    torch.manual_seed(seed)
    model = UNet(base_channels=8, depth=depth, out_channels=2)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.3)
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                dead = torch.randperm(module.num_features)[module.num_features // 2 :]
                module.weight.abs_().add_(0.5)
                module.weight[dead] = 0
                module.bias[dead] = 0
                module.running_var.uniform_(0.5, 2.0)
                module.running_mean.normal_()
            elif isinstance(module, torch.nn.ConvTranspose2d):
                dead = torch.randperm(module.out_channels)[module.out_channels // 2 :]
                module.weight[:, dead] = 0
                module.bias[dead] = 0
    return model.eval()


@pytest.mark.parametrize("depth", [2, 3])
def test_a_model_with_dead_channels_narrows_to_the_same_logits(depth):
    wide = _half_dead(depth)
    small = narrow(wide, 4)
    assert small.config.base_channels == 4 and small.config.depth == depth and small.config.out_channels == 2
    assert sum(p.numel() for p in small.parameters()) < sum(p.numel() for p in wide.parameters()) / 3
    x = torch.rand(2, 1, 32, 32, dtype=torch.float64)  # logits reach hundreds here: float32 sums differ by 1e-4
    with torch.no_grad():
        torch.testing.assert_close(small.double()(x), wide.double()(x), rtol=1e-9, atol=1e-9)


def test_narrow_keeps_the_channels_with_the_largest_batchnorm_scale():
    wide = _half_dead(2)
    scale = torch.tensor([0.1, -3.0, 0.2, 2.0, 0.0, 1.0, -0.3, 0.4])
    with torch.no_grad():
        wide.inc[1].weight.copy_(scale)
    small = narrow(wide, 4)
    torch.testing.assert_close(small.inc[1].weight, scale[[1, 3, 5, 7]])  # |-3|, 2, 1, 0.4, in their order
    torch.testing.assert_close(small.inc[0].weight, wide.inc[0].weight[[1, 3, 5, 7]])


def test_narrow_refuses_to_grow():
    with pytest.raises(ValueError, match="narrow keeps between 1"):
        narrow(UNet(base_channels=4, depth=2), 8)


def test_fine_tuning_may_start_a_narrower_model_from_a_wider_checkpoint(tmp_path):
    wide = _half_dead(2)
    save_checkpoint(tmp_path / "wide.pt", wide)
    small = UNet(base_channels=4, depth=2, out_channels=2)
    load_initial_weights(small, tmp_path / "wide.pt")
    x = torch.rand(2, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(small.eval()(x), wide(x), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="depth"):
        load_initial_weights(UNet(base_channels=4, depth=3, out_channels=2), tmp_path / "wide.pt")
