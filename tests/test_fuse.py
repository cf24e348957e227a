"""Folding BatchNorm into the convolutions changes the speed, not the logits."""

import torch

from lungseg.model.fuse import fused_for_inference
from lungseg.model.unet import UNet


def _trained_like(model: UNet) -> UNet:
    """Give every BatchNorm non-trivial running statistics and affine parameters, as training would."""
    gen = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.5)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)
    return model.eval()


def test_fused_model_gives_the_same_logits_without_batchnorm():
    model = _trained_like(UNet(base_channels=4, depth=2))
    fused = fused_for_inference(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())  # the original is untouched
    assert fused.config == model.config
    x = torch.randn(2, 1, 32, 32)
    with torch.inference_mode():
        torch.testing.assert_close(fused(x), model(x), atol=1e-4, rtol=1e-4)
