"""Growing a trained U-Net to more channels keeps its logits (model/widen.py), and fine-tuning can start there."""

import pytest
import torch

from lungseg.model.checkpoint import load_initial_weights, save_checkpoint
from lungseg.model.unet import UNet
from lungseg.model.widen import widen


def _trained_like(**kwargs) -> UNet:
    """A U-Net with random weights and BatchNorm statistics everywhere (no zero that could hide a wrong copy)."""
    torch.manual_seed(1)
    model = UNet(**kwargs)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.3)
        for name, b in model.named_buffers():
            if "running_var" in name:
                b.uniform_(0.5, 2.0)
            elif "running_mean" in name:
                b.normal_()
    return model.eval()


@pytest.mark.parametrize("depth", [2, 3])
def test_widened_model_computes_the_same_logits(depth):
    narrow = _trained_like(base_channels=4, depth=depth, out_channels=2)
    wide = widen(narrow, 7).eval()
    assert wide.config.base_channels == 7 and wide.config.depth == depth
    assert sum(p.numel() for p in wide.parameters()) > 2 * sum(p.numel() for p in narrow.parameters())
    x = torch.rand(3, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(wide(x), narrow(x), rtol=1e-5, atol=1e-5)
        assert wide.inc[0].weight[4:].abs().sum() > 0  # new channels are not dead: they start fresh
        assert wide.downs[0][0].weight[:8, 4:].abs().sum() == 0  # ...and reach old ones only through zeros


def test_widened_model_learns_on_its_new_channels():
    narrow = _trained_like(base_channels=2, depth=2)
    wide = widen(narrow, 4).train()
    x, y = torch.rand(2, 1, 16, 16), (torch.rand(2, 1, 16, 16) > 0.5).float()
    torch.nn.functional.binary_cross_entropy_with_logits(wide(x), y).backward()
    assert wide.head.weight.grad[:, 2:].abs().sum() > 0  # the zero weights out of new channels get gradients


def test_widen_refuses_to_shrink():
    with pytest.raises(ValueError, match="widen only grows"):
        widen(UNet(base_channels=8, depth=2), 4)


def test_fine_tuning_may_start_a_wider_model_from_a_narrower_checkpoint(tmp_path):
    narrow = _trained_like(base_channels=4, depth=2, out_channels=1)
    save_checkpoint(tmp_path / "narrow.pt", narrow)
    wide = UNet(base_channels=6, depth=2, out_channels=2)  # wider and growing a second output at once
    load_initial_weights(wide, tmp_path / "narrow.pt")
    x = torch.rand(2, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(wide.eval()(x)[:, :1], narrow(x), rtol=1e-5, atol=1e-5)
