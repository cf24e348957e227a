import pytest
import torch

from lungseg.model.unet import (
    ModelConfig,
    UNet,
    count_parameters,
    nearest_valid_input_size,
    valid_input_size,
    valid_offset,
    valid_output_size,
)


@pytest.mark.parametrize("size", [16, 48, 64, 96, 128])
def test_same_padding_keeps_size(size):
    model = UNet(base_channels=4, depth=4).eval()
    out = model(torch.zeros(2, 1, size, size + 16))
    assert out.shape == (2, 1, size, size + 16)


@pytest.mark.parametrize(("size", "depth"), [(572, 4), (188, 2), (140, 3), (252, 4)])
def test_valid_padding_output_matches_helper(size, depth):
    model = UNet(base_channels=2, depth=depth, padding="valid").eval()
    out = model(torch.zeros(1, 1, size, size))
    assert out.shape[-1] == valid_output_size(size, depth)
    assert (size - out.shape[-1]) // 2 == valid_offset(size, depth)


def test_paper_sizes():
    assert valid_output_size(572, 4) == 388
    assert valid_input_size(388, 4) == 572
    assert valid_offset(572, 4) == 92
    # the next valid input above 572 is 16 pixels on, with an output 16 larger
    assert valid_input_size(389, 4) == 588 and valid_output_size(588, 4) == 404


def test_paper_model_has_31m_parameters():
    assert count_parameters(UNet(base_channels=64, depth=4, padding="valid")) == pytest.approx(31.0e6, rel=0.01)


def test_invalid_sizes_name_the_nearest_valid_one():
    with pytest.raises(ValueError, match="256"):
        UNet(base_channels=2)(torch.zeros(1, 1, 250, 256))
    with pytest.raises(ValueError, match="572"):
        UNet(base_channels=2, padding="valid")(torch.zeros(1, 1, 570, 570))
    assert nearest_valid_input_size(570, 4) == 572
    with pytest.raises(ValueError, match="padding"):
        ModelConfig(padding="mirror")


def test_dropout_only_in_training():
    model = UNet(base_channels=4, depth=2, dropout=0.5)
    x = torch.randn(1, 1, 32, 32)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    torch.manual_seed(0)
    a = model(x)
    torch.manual_seed(1)
    assert not torch.equal(a, model(x))


def test_from_config_round_trip():
    model = UNet(base_channels=3, depth=2, padding="valid", dropout=0.1)
    again = UNet.from_config(model.config.to_dict())
    assert again.config == model.config
    again.load_state_dict(model.state_dict())
