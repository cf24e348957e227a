"""The weights' moving average (ema_decay): its arithmetic, and a training run that saves, validates and resumes it."""

import pytest
import torch

from lungseg.model.checkpoint import load_model, read_checkpoint
from lungseg.model.unet import ModelConfig
from lungseg.training.config import TrainConfig
from lungseg.training.ema import WeightAverage
from lungseg.training.loop import resume_config, train

from .test_train import Interrupt, stop_after_first, tiny_config


def test_average_follows_the_formula_and_copies_integer_buffers():
    model = torch.nn.BatchNorm1d(3)
    ema = WeightAverage(model, decay=0.75)
    with torch.no_grad():
        model.weight.fill_(2.0)  # the average starts at 1.0
        model.num_batches_tracked.fill_(7)
    ema.update(model)
    assert torch.allclose(ema.model.weight, torch.full((3,), 1.25))  # 0.75 * 1 + 0.25 * 2
    ema.update(model)
    assert torch.allclose(ema.model.weight, torch.full((3,), 1.4375))  # 0.75 * 1.25 + 0.25 * 2
    assert int(ema.model.num_batches_tracked) == 7
    assert not any(p.requires_grad for p in ema.model.parameters())
    assert model.weight.requires_grad  # the trained model is left as it was


@pytest.mark.parametrize("decay", [0.0, 1.0, -0.5])
def test_decay_outside_zero_one_is_refused(decay):
    with pytest.raises(ValueError, match=r"e\.g\. 0\.998"):
        WeightAverage(torch.nn.Linear(2, 2), decay)


def test_ema_decay_out_of_range_is_refused_by_the_config(tmp_path):
    with pytest.raises(ValueError, match="ema_decay"):
        TrainConfig(data=str(tmp_path), output=str(tmp_path / "o"), ema_decay=1.0)


def test_a_run_saves_the_average_and_resumes_it_exactly(kaggle_tree, tmp_path):
    model = ModelConfig(base_channels=4, depth=2)
    full = tiny_config(kaggle_tree, tmp_path / "full", model=model, ema_decay=0.9, lr=0.01)
    train(full)
    payload = read_checkpoint(tmp_path / "full" / "last.pt")
    averaged, trained = payload["state_dict"], payload["raw_state_dict"]
    moved = [k for k, v in averaged.items() if v.is_floating_point() and not torch.equal(v, trained[k])]
    assert moved  # the saved weights are the average, not the trained ones

    part = full.replace(output=str(tmp_path / "part"))
    with pytest.raises(Interrupt):
        train(part, on_epoch_end=stop_after_first)
    train(resume_config(tmp_path / "part"), resume=True)
    a, _ = load_model(tmp_path / "full" / "last.pt")
    b, payload_b = load_model(tmp_path / "part" / "last.pt")
    for (name, ta), tb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(ta, tb), name  # the average survives the interruption
    for name, t in trained.items():
        assert torch.equal(t, payload_b["raw_state_dict"][name]), name
