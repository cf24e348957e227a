import numpy as np
import pytest
import torch

from lungseg.inference.predict import mirror_pad, predict_logits
from lungseg.model.checkpoint import load_model, read_checkpoint, save_checkpoint
from lungseg.model.unet import UNet


def test_checkpoint_round_trip_rebuilds_from_config(tmp_path):
    model = UNet(base_channels=3, depth=2, padding="valid", dropout=0.3)
    save_checkpoint(tmp_path / "m.pt", model, epoch=7)
    again, payload = load_model(tmp_path / "m.pt")
    assert again.config == model.config and payload["epoch"] == 7
    for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert not list(tmp_path.glob("*.tmp"))


def test_foreign_files_are_refused(tmp_path):
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a lungseg checkpoint"):
        read_checkpoint(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(ValueError, match=r"junk\.pt"):
        read_checkpoint(tmp_path / "junk.pt")


@pytest.mark.parametrize("pads", [(1, 2, 3, 4), (10, 0, 25, 7), (0, 0, 0, 0)])
def test_mirror_pad_matches_numpy_reflect(pads):
    x = torch.arange(5 * 6, dtype=torch.float32).view(1, 1, 5, 6)
    top, bottom, left, right = pads
    expected = np.pad(x[0, 0].numpy(), ((top, bottom), (left, right)), mode="reflect")
    np.testing.assert_array_equal(mirror_pad(x, top, bottom, left, right)[0, 0].numpy(), expected)


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("shape", [(37, 50), (64, 64), (20, 90)])
def test_predict_logits_returns_input_size(padding, shape):
    model = UNet(base_channels=2, depth=2, padding=padding).eval()
    with torch.no_grad():
        out = predict_logits(model, torch.rand(1, 1, *shape))
    assert out.shape == (1, 1, *shape)


def test_predict_same_padding_is_identity_when_size_fits():
    model = UNet(base_channels=2, depth=2).eval()
    x = torch.rand(1, 1, 32, 32)
    with torch.no_grad():
        assert torch.equal(predict_logits(model, x), model(x))


def test_export_slim_and_half(tmp_path):
    from lungseg.cli import main

    model = UNet(base_channels=4, depth=2).eval()
    optimizer = torch.optim.AdamW(model.parameters())
    save_checkpoint(
        tmp_path / "full.pt", model, optimizer=optimizer.state_dict(), train_config={"image_size": 32}, threshold=0.6
    )
    assert main(["export", "--model", str(tmp_path / "full.pt"), "--output", str(tmp_path / "half.pt"), "--half"]) == 0
    slim, payload = load_model(tmp_path / "half.pt")
    assert "optimizer" not in payload and payload["train_config"] == {"image_size": 32}
    assert payload["threshold"] == 0.6
    assert next(slim.parameters()).dtype == torch.float32  # rebuilt in fp32, values rounded to fp16
    x = torch.rand(1, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(slim(x), model(x), rtol=1e-2, atol=1e-2)
    assert main(["export", "--model", str(tmp_path / "half.pt"), "--output", str(tmp_path / "half.pt")]) == 1


def test_initial_weights_copy_a_matching_model_and_refuse_another(tmp_path):
    from lungseg.model.checkpoint import load_initial_weights

    source = UNet(base_channels=4, depth=2, dropout=0.0)
    with torch.no_grad():
        for p in source.parameters():
            p.normal_()
    save_checkpoint(tmp_path / "src.pt", source.half())
    target = UNet(base_channels=4, depth=2, dropout=0.2)  # dropout has no weights: allowed to differ
    load_initial_weights(target, tmp_path / "src.pt")
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values(), strict=True):
        assert torch.equal(a.float(), b.float()), name
    assert next(target.parameters()).dtype == torch.float32
    with pytest.raises(ValueError, match=r"depth.*depth: 2"):  # (wider or narrower: test_widen, test_narrow)
        load_initial_weights(UNet(base_channels=4, depth=3), tmp_path / "src.pt")
    with pytest.raises(ValueError, match="no bundled model named"):
        load_initial_weights(target, tmp_path / "missing.pt")
