import csv
import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from lungseg.cli import main
from lungseg.evaluation.calibrate import THRESHOLDS
from lungseg.model.checkpoint import load_model, read_checkpoint
from lungseg.model.unet import ModelConfig
from lungseg.training.config import TrainConfig
from lungseg.training.loop import resume_config, train
from lungseg.training.losses import get_loss

TINY = ModelConfig(base_channels=4, depth=2)


def tiny_config(data, output, **kw) -> TrainConfig:
    values = dict(data=str(data), output=str(output), model=TINY, image_size=32, epochs=3, batch_size=2)
    return TrainConfig(**{**values, **kw})


def test_cli_train_then_evaluate(kaggle_tree, tmp_path):
    run = tmp_path / "run"
    argv = ["train", "--data", str(kaggle_tree), "--output", str(run), "--epochs", "2", "--image-size", "32"]
    assert main([*argv, "--base-channels", "4", "--depth", "2", "--batch-size", "2"]) == 0
    for name in ("best.pt", "last.pt", "log.csv", "curves.png", "config.yaml", "split.json"):
        assert (run / name).is_file(), name
    rows = list(csv.DictReader((run / "log.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert {"train_loss", "val_loss", "val_dice", "val_iou", "seconds"} <= set(rows[0])
    payload = read_checkpoint(run / "last.pt")
    assert payload["model_config"] == TINY.to_dict()
    assert payload["train_config"]["image_size"] == 32 and payload["lungseg_version"]
    assert payload["split"] == json.loads((run / "split.json").read_text())

    out = tmp_path / "eval"
    assert main(["evaluate", "--model", str(run / "best.pt"), "--data", str(kaggle_tree), "--output", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_images"] == 2
    rows = list(csv.DictReader((out / "per_image.csv").open()))
    assert len(rows) == 2 and sorted(summary["worst"]) == sorted(r["image"] for r in rows)
    for key in ("dice", "iou", "pixel_accuracy", "hd95", "assd"):  # the summary is the table's mean
        assert summary[f"{key}_mean"] == pytest.approx(np.mean([float(r[key]) for r in rows]), abs=1e-5), key


@pytest.mark.parametrize(("loss", "augment"), [("weighted_ce", "full"), ("dice", "elastic"), ("bce", "none")])
def test_losses_and_augmentation_train(kaggle_tree, tmp_path, loss, augment):
    run = tmp_path / "run"
    argv = ["train", "--data", str(kaggle_tree), "--output", str(run), "--epochs", "1", "--image-size", "32"]
    assert main([*argv, "--depth", "2", "--base-channels", "4", "--loss", loss, "--augment", augment]) == 0
    payload = read_checkpoint(run / "last.pt")
    assert payload["train_config"]["loss"] == loss
    assert payload["train_config"]["augment"]["elastic"] == (augment in ("elastic", "full"))
    assert math.isfinite(payload["metrics"]["train_loss"])


def test_cli_resume_continues_to_more_epochs(kaggle_tree, tmp_path):
    run = tmp_path / "run"
    train(tiny_config(kaggle_tree, run, epochs=1))
    assert main(["train", "--resume", str(run), "--epochs", "2"]) == 0
    payload = read_checkpoint(run / "last.pt")
    assert payload["epoch"] == 2 and payload["train_config"]["epochs"] == 2
    assert [h["epoch"] for h in payload["train_state"]["history"]] == [1, 2]


def test_existing_run_is_not_overwritten(kaggle_tree, tmp_path):
    train(tiny_config(kaggle_tree, tmp_path / "r", epochs=1))
    before = (tmp_path / "r" / "last.pt").read_bytes()
    with pytest.raises(ValueError, match="--resume"):
        train(tiny_config(kaggle_tree, tmp_path / "r", epochs=1))
    assert (tmp_path / "r" / "last.pt").read_bytes() == before


class Interrupt(Exception):
    pass


def stop_after_first(epoch: int, row: dict) -> None:
    """An on_epoch_end callback that interrupts a run after its first epoch (a run killed mid-way)."""
    if epoch == 1:
        raise Interrupt


def test_interrupted_and_resumed_run_matches_uninterrupted(kaggle_tree, tmp_path):
    full = tiny_config(kaggle_tree, tmp_path / "full", model=ModelConfig(base_channels=4, depth=2, dropout=0.2))
    train(full)
    part = full.replace(output=str(tmp_path / "part"))
    with pytest.raises(Interrupt):
        train(part, on_epoch_end=stop_after_first)
    assert read_checkpoint(tmp_path / "part" / "last.pt")["epoch"] == 1
    train(resume_config(tmp_path / "part"), resume=True)

    a, _ = load_model(tmp_path / "full" / "last.pt")
    b, _ = load_model(tmp_path / "part" / "last.pt")
    for (name, ta), tb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(ta, tb), name
    log_a = (tmp_path / "full" / "log.csv").read_text().splitlines()
    log_b = (tmp_path / "part" / "log.csv").read_text().splitlines()
    assert [r.split(",")[:5] for r in log_a] == [r.split(",")[:5] for r in log_b]


def test_early_stopping(kaggle_tree, tmp_path):
    # min_delta 2 means no epoch after the first counts as an improvement
    train(tiny_config(kaggle_tree, tmp_path / "r", epochs=6, patience=2, min_delta=2.0))
    assert read_checkpoint(tmp_path / "r" / "last.pt")["epoch"] == 3
    assert read_checkpoint(tmp_path / "r" / "best.pt")["epoch"] == 1


def test_usage_errors(kaggle_tree, tmp_path):
    assert main(["train", "--data", str(kaggle_tree)]) == 2  # no --output: a usage error
    assert main(["evaluate", "--model", str(tmp_path / "none.pt"), "--data", "x", "--output", "y"]) == 1
    assert main(["frobnicate"]) == 2


def test_augment_preview_grid(kaggle_tree, tmp_path):
    out = tmp_path / "grid.png"
    argv = ["augment-preview", "--data", str(kaggle_tree), "--output", str(out), "--image-size", "32"]
    assert main([*argv, "--images", "3", "--draws", "2"]) == 0
    grid = Image.open(out)
    assert grid.size == (32 * 3, 32 * 3) and grid.mode == "RGB"


class ProbIsImage(torch.nn.Module):
    """Model-free predictor whose probability equals the input intensity."""

    def __init__(self) -> None:
        super().__init__()
        self.config = ModelConfig(base_channels=2, depth=2)

    def forward(self, x):
        return torch.logit(x.clamp(1e-4, 1 - 1e-4))


def test_calibrated_threshold_is_the_best_on_validation(tmp_path):
    from lungseg.data.layouts import Sample
    from lungseg.evaluation.calibrate import calibrate_threshold
    from lungseg.inference.segmenter import Segmenter

    samples = []
    for k in range(2):
        mask = np.zeros((32, 32), bool)
        mask[8:24, 4 + k : 14 + k] = True
        Image.fromarray(np.where(mask, 0.38 * 255, 0.27 * 255).astype(np.uint8)).save(tmp_path / f"i{k}.png")
        Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / f"m{k}.png")
        samples.append(Sample(f"i{k}", tmp_path / f"i{k}.png", tmp_path / f"m{k}.png", "other"))
    segmenter = Segmenter(ProbIsImage(), image_size=32, intensity="none", threshold=0.5, postprocess=False)
    threshold, means = calibrate_threshold(segmenter, samples)
    assert threshold == 0.35  # 0.3 and 0.35 separate 0.27 from 0.38; ties go to the one nearer 0.5
    assert means[0.35] == 1.0 and means[0.25] < 1.0 and means[0.4] == 0.0


def test_training_stores_a_calibrated_threshold(kaggle_tree, tmp_path):
    train(tiny_config(kaggle_tree, tmp_path / "r", epochs=1))
    payload = read_checkpoint(tmp_path / "r" / "best.pt")
    table = dict(payload["threshold_val_dice"])
    assert len(table) == len(THRESHOLDS) and payload["smooth"] in (0.0, 0.003, 0.006)
    best = max(table.values())
    assert payload["threshold"] == min((t for t, d in table.items() if d == best), key=lambda t: abs(t - 0.5))
    assert read_checkpoint(tmp_path / "r" / "last.pt").get("threshold") is None


def test_fine_tuning_starts_from_the_given_weights(kaggle_tree, tmp_path):
    first = train(tiny_config(kaggle_tree, tmp_path / "a", epochs=2))
    before, _ = load_model(first)
    # a vanishing lr: the fine-tuned weights stay those of the start model (BatchNorm statistics aside)
    argv = ["train", "--data", str(kaggle_tree), "--output", str(tmp_path / "b"), "--epochs", "1", "--lr", "1e-12"]
    assert main([*argv, "--image-size", "32", "--base-channels", "4", "--depth", "2", "--init-from", str(first)]) == 0
    after, payload = load_model(tmp_path / "b" / "last.pt")
    assert payload["train_config"]["init_from"] == str(first)
    for (name, a), b in zip(before.named_parameters(), after.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-9, msg=name)
    bad = ["train", "--data", str(kaggle_tree), "--output", str(tmp_path / "c"), "--init-from", str(first)]
    assert main([*bad, "--image-size", "32", "--base-channels", "4", "--depth", "3"]) == 1  # deeper: refused
    cut = ["train", "--data", str(kaggle_tree), "--output", str(tmp_path / "d"), "--init-from", str(first)]
    assert main([*cut, "--image-size", "32", "--base-channels", "2", "--depth", "2", "--epochs", "1"]) == 0  # narrower
    assert load_model(tmp_path / "d" / "last.pt")[0].config.base_channels == 2  # cut to its strongest channels


def test_config_file_may_set_data_and_output(kaggle_tree, tmp_path):
    config = tmp_path / "run.yaml"
    out = tmp_path / "from_config"
    config.write_text(
        f"data: {kaggle_tree}\noutput: {out}\nepochs: 1\nimage_size: 32\nbatch_size: 4\n"
        "split_protocol: random\ncalibrate_threshold: false\nmodel: {base_channels: 4, depth: 2}\n"
    )
    assert main(["train", "--config", str(config)]) == 0
    assert (out / "best.pt").is_file()


def test_heart_model_from_another_mask_folder(tmp_path):
    from lungseg.inference.segmenter import Segmenter

    from .conftest import ellipse_pair

    root = tmp_path / "tree"
    for folder in ("images", "masks", "masks_heart"):
        (root / folder).mkdir(parents=True)
    for k in range(6):
        image, mask = ellipse_pair(32, seed=k)
        heart = np.zeros_like(mask)
        heart[18:28, 12:20] = 255
        Image.fromarray(image).save(root / "images" / f"x{k}.png")
        Image.fromarray(mask).save(root / "masks" / f"x{k}.png")
        Image.fromarray(heart).save(root / "masks_heart" / f"x{k}.png")
    out = tmp_path / "heart"
    argv = ["train", "--data", str(root), "--output", str(out), "--mask-folder", "masks_heart", "--target", "heart"]
    tiny = ["--epochs", "1", "--image-size", "32", "--base-channels", "4", "--depth", "2", "--protocol", "random"]
    assert main([*argv, *tiny]) == 0
    payload = read_checkpoint(out / "best.pt")
    assert payload["train_config"]["mask_folder"] == "masks_heart" and payload["train_config"]["target"] == "heart"
    assert Segmenter.from_pretrained(out / "best.pt", heart=None).target == "heart"
    other = ["train", "--data", str(root), "--output", str(tmp_path / "other"), "--mask-folder", "nope"]
    assert main([*other, *tiny]) == 1  # a missing mask folder is a clear error
    assert not (tmp_path / "other" / "last.pt").exists()


def test_lungs_and_heart_in_one_model(tmp_path):
    """--target lungs+heart: two output channels grown from a lung model, heart masks where present,
    both thresholds calibrated, and the segmenter's heart from the model's own channel."""
    from lungseg.inference.segmenter import Segmenter

    from .conftest import ellipse_pair

    root = tmp_path / "tree"
    for folder in ("images", "masks", "masks_heart"):
        (root / folder).mkdir(parents=True)
    for k in range(8):
        image, mask = ellipse_pair(32, seed=k)
        Image.fromarray(image).save(root / "images" / f"x{k}.png")
        Image.fromarray(mask).save(root / "masks" / f"x{k}.png")
        if k % 4:  # x0 and x4 have no heart mask
            heart = np.zeros_like(mask)
            heart[18:28, 12:20] = 255
            Image.fromarray(heart).save(root / "masks_heart" / f"x{k}.png")
    tiny = ["--epochs", "1", "--image-size", "32", "--base-channels", "4", "--depth", "2", "--protocol", "random"]
    lungs = tmp_path / "lungs"
    assert main(["train", "--data", str(root), "--output", str(lungs), *tiny]) == 0
    joint = tmp_path / "joint"
    argv = ["train", "--data", str(root), "--output", str(joint), "--target", "lungs+heart"]
    config = tmp_path / "grow.yaml"
    grow = f"init_from: {lungs / 'best.pt'}\nlr: 1.0e-9\nwarmup_epochs: 0\nsplit_fractions: [0.5, 0.5, 0.0]\n"
    config.write_text(grow)
    assert main([*argv, *tiny, "--config", str(config)]) == 0
    payload = read_checkpoint(joint / "best.pt")
    assert payload["model_config"]["out_channels"] == 2 and 0 < payload["heart_threshold"] < 1
    grown, start = load_model(joint / "best.pt")[0], load_model(lungs / "best.pt")[0]
    assert torch.allclose(grown.head.weight[:1], start.head.weight, atol=1e-5)  # lr ~0: channel 0 is the lung head
    assert "val_heart_dice" in payload["metrics"]
    segmenter = Segmenter.from_pretrained(joint / "best.pt")
    result = segmenter(root / "images" / "x1.png")
    assert segmenter.has_heart and result.heart is not None and result.heart.shape == (32, 32)
    assert not Segmenter.from_pretrained(joint / "best.pt", heart=None).has_heart  # --no-heart


def test_distillation_pulls_the_student_to_its_teacher(tmp_path):
    """A teacher that sees no lung anywhere: a student trained on it alone (weight 1) learns to see none either."""
    from torch.utils.data import DataLoader

    from lungseg.model.unet import UNet
    from lungseg.training.steps import Teacher, train_one_epoch

    class Blind(torch.nn.Module):
        config = TINY

        def forward(self, x):
            return torch.full((x.shape[0], 1, *x.shape[2:]), -8.0)

    torch.manual_seed(0)
    images = torch.rand(8, 1, 32, 32)
    batches = [{"image": images[i : i + 2], "mask": (images[i : i + 2] > 0.3).float()} for i in range(0, 8, 2)]
    student = UNet.from_config(TINY)
    optimizer = torch.optim.AdamW(student.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    loss_fn = get_loss("bce")
    for _ in range(10):
        train_one_epoch(student, DataLoader(batches, batch_size=None), optimizer, scheduler, loss_fn,
                        torch.device("cpu"), "test", False, Teacher(Blind(), 1.0))  # fmt: skip
    with torch.no_grad():
        assert torch.sigmoid(student.eval()(images)).mean().item() < 0.05  # the masks (~70% lung) had no say


def test_distilling_needs_a_teacher_with_the_same_outputs(kaggle_tree, tmp_path):
    teacher = train(tiny_config(kaggle_tree, tmp_path / "t", epochs=1))
    student = train(tiny_config(kaggle_tree, tmp_path / "s", epochs=1, distill_from=str(teacher), distill_weight=0.5,
                                model=ModelConfig(base_channels=2, depth=2)))  # fmt: skip
    payload = read_checkpoint(student)
    assert payload["train_config"]["distill_from"] == str(teacher) and math.isfinite(payload["metrics"]["train_loss"])
    two = ModelConfig(base_channels=2, depth=2, out_channels=2)
    with pytest.raises(ValueError, match="output channels"):
        train(tiny_config(kaggle_tree, tmp_path / "u", distill_from=str(teacher), model=two, target="lungs+heart"))
    with pytest.raises(ValueError, match="image_size"):
        train(tiny_config(kaggle_tree, tmp_path / "v", distill_from=str(teacher), image_size=48))
    with pytest.raises(ValueError, match="distill_weight"):
        tiny_config(kaggle_tree, tmp_path / "w", distill_weight=1.5)
