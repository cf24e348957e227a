"""Checks on the real chest X-rays in ../shared/data (override with LUNGSEG_DATA)."""

import math

from lungseg.data.layouts import discover, labelled, make_split
from lungseg.model.checkpoint import read_checkpoint
from lungseg.model.unet import ModelConfig
from lungseg.training.config import TrainConfig
from lungseg.training.loop import train


def test_real_layout_and_protocol(real_data):
    layout, samples = discover(real_data)
    assert layout == "kaggle" and len(samples) == 800
    assert len(labelled(samples)) == 704
    split = make_split(samples, "original")
    assert len(split["train"]) == 566 and len(split["val"]) + len(split["test"]) == 138


def test_few_steps_on_eight_real_images(real_data, tmp_path):
    config = TrainConfig(
        data=str(real_data), output=str(tmp_path / "run"), model=ModelConfig(base_channels=4, depth=3),
        image_size=64, epochs=2, batch_size=4, limit=8, lr=5e-3,
    )  # fmt: skip
    train(config)
    payload = read_checkpoint(tmp_path / "run" / "last.pt")
    history = payload["train_state"]["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(math.isfinite(h["train_loss"]) for h in history)
    best = read_checkpoint(tmp_path / "run" / "best.pt")
    top = max(h["val_dice"] for h in history)  # best.pt is the best epoch (within min_delta 1e-4)
    assert best["metrics"]["val_dice"] >= top - 1e-4 and best["epoch"] in (1, 2)
