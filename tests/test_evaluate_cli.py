"""``lungseg evaluate`` through main(argv) with a constant-output model: every figure is known exactly."""

import csv
import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from lungseg.cli import main
from lungseg.model.checkpoint import save_checkpoint
from lungseg.model.unet import ModelConfig, UNet


@pytest.fixture
def half_model(tmp_path):
    """A U-Net whose output is p = 0.5 everywhere (zero head weights and bias)."""
    model = UNet.from_config(ModelConfig(base_channels=4, depth=2))
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    path = tmp_path / "half.pt"
    save_checkpoint(path, model, train_config={"image_size": 32, "intensity": "none"}, threshold=0.5)
    return path


def _masks(kaggle_tree, names):
    return [np.asarray(Image.open(kaggle_tree / "masks" / f"{n}_mask.png")) > 0 for n in names]


def test_threshold_below_and_above_the_constant_output(kaggle_tree, half_model, tmp_path):
    names = ["CHNCXR_0001_0", "CHNCXR_0002_0"]
    split = tmp_path / "two.txt"
    split.write_text("\n".join(names) + "\n")
    base = ["evaluate", "--model", str(half_model), "--data", str(kaggle_tree), "--split", str(split)]

    assert main([*base, "--output", str(tmp_path / "full"), "--threshold", "0.4"]) == 0
    full = json.loads((tmp_path / "full" / "summary.json").read_text())
    expected = [2 * m.sum() / (m.sum() + m.size) for m in _masks(kaggle_tree, names)]
    assert full["n_images"] == 2 and full["threshold"] == 0.4
    assert full["dice_mean"] == pytest.approx(np.mean(expected), abs=1e-9)
    assert full["recall_mean"] == 1.0

    assert main([*base, "--output", str(tmp_path / "none"), "--threshold", "0.6", "--no-postprocess"]) == 0
    empty = json.loads((tmp_path / "none" / "summary.json").read_text())
    assert empty["dice_mean"] == 0.0 and empty["postprocess"] is False
    assert empty["hd95_mean"] == pytest.approx(math.hypot(64, 64)) and empty["shape_model"] is False
    rows = list(csv.DictReader((tmp_path / "none" / "per_image.csv").open()))
    assert [r["image"] for r in rows] == names


def test_groups_from_names_and_from_a_csv(kaggle_tree, half_model, tmp_path):
    # the Kaggle tree's Montgomery images end in _1 (abnormal), its Shenzhen ones in _0 (normal)
    out = tmp_path / "g"
    argv = ["evaluate", "--model", str(half_model), "--data", str(kaggle_tree), "--split", "all", "--threshold", "0.4"]
    assert main([*argv, "--output", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert {g: v["n_images"] for g, v in summary["groups"].items()} == {"abnormal": 4, "normal": 5}
    meta = {"groups", "model", "split", "threshold", "postprocess", "convention", "backend", "precision", "shape_model",
            "tta", "failed"}  # fmt: skip
    assert set(summary["groups"]["normal"]) == set(summary) - meta
    groups = tmp_path / "groups.csv"
    groups.write_text("image,group\nCHNCXR_0001_0.png,a\nMCUCXR_0001_1,b\nMCUCXR_0002_1,b\n")
    assert main([*argv, "--output", str(out), "--groups", str(groups)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert {g: v["n_images"] for g, v in summary["groups"].items()} == {"a": 1, "b": 2}


def test_evaluate_with_the_shape_model_says_so(kaggle_tree, half_model, tmp_path, capsys):
    argv = ["evaluate", "--model", str(half_model), "--data", str(kaggle_tree), "--split", "all", "--threshold", "0.4"]
    assert main([*argv, "--output", str(tmp_path / "s"), "--shape-model"]) == 0
    assert "post-processed + shape model masks" in capsys.readouterr().out
    assert json.loads((tmp_path / "s" / "summary.json").read_text())["shape_model"] is True


def test_precision_reaches_the_segmenter_and_is_recorded(kaggle_tree, half_model, tmp_path):
    argv = ["evaluate", "--model", str(half_model), "--data", str(kaggle_tree), "--split", "all", "--threshold", "0.4"]
    for precision in ("fp32", "bf16"):
        assert main([*argv, "--output", str(tmp_path / precision), "--precision", precision]) == 0
        assert json.loads((tmp_path / precision / "summary.json").read_text())["precision"] == precision


def test_own_data_with_the_default_split_says_use_all(kaggle_tree, half_model, tmp_path, caplog):
    model = tmp_path / "with_split.pt"
    payload = torch.load(half_model, weights_only=True)
    payload["split"] = {"train": [], "val": [], "test": ["someone_elses_image"]}
    torch.save(payload, model)
    assert main(["evaluate", "--model", str(model), "--data", str(kaggle_tree), "--output", str(tmp_path / "o")]) == 1
    assert "--split all" in caplog.text


def test_tta_flag_reaches_the_segmenter_and_bad_scales_are_refused(kaggle_tree, half_model, tmp_path, caplog):
    names = ["CHNCXR_0001_0"]
    split = tmp_path / "one.txt"
    split.write_text("CHNCXR_0001_0\n")
    base = ["evaluate", "--model", str(half_model), "--data", str(kaggle_tree), "--split", str(split),
            "--threshold", "0.4"]  # fmt: skip
    assert main([*base, "--output", str(tmp_path / "tta"), "--tta"]) == 0
    summary = json.loads((tmp_path / "tta" / "summary.json").read_text())
    assert summary["tta"] == [0.9, 1.0, 1.1]  # --tta alone: the default scales
    (mask,) = _masks(kaggle_tree, names)
    expected = 2 * mask.sum() / (mask.sum() + mask.size)  # p = 0.5 at every scale: all lung at threshold 0.4
    assert summary["dice_mean"] == pytest.approx(expected, abs=1e-9)
    assert main([*base, "--output", str(tmp_path / "bad"), "--tta-scales", "0.9", "1.1"]) == 1
    assert "must include 1.0" in caplog.text
    assert not (tmp_path / "bad" / "summary.json").exists()


def test_a_bad_image_is_named_and_the_others_are_scored(kaggle_tree, half_model, tmp_path, caplog):
    """As ``segment`` goes on past a bad input: a damaged image is a failed row with its file named, the rest are
    scored as they would be alone, and the exit code says that one failed."""
    names = ["CHNCXR_0001_0", "CHNCXR_0002_0"]
    split = tmp_path / "two.txt"
    split.write_text("\n".join(names) + "\n")
    base = ["evaluate", "--model", str(half_model), "--data", str(kaggle_tree), "--split", str(split),
            "--threshold", "0.4"]  # fmt: skip
    assert main([*base, "--output", str(tmp_path / "both")]) == 0
    both = {r["image"]: r for r in csv.DictReader((tmp_path / "both" / "per_image.csv").open())}
    (kaggle_tree / "CXR_png" / "CHNCXR_0002_0.png").write_bytes(b"not a png")
    assert main([*base, "--output", str(tmp_path / "one")]) == 1
    summary = json.loads((tmp_path / "one" / "summary.json").read_text())
    assert summary["n_images"] == 1 and [f["image"] for f in summary["failed"]] == ["CHNCXR_0002_0"]
    assert "CHNCXR_0002_0.png" in summary["failed"][0]["error"]
    rows = list(csv.DictReader((tmp_path / "one" / "per_image.csv").open()))
    assert [r["image"] for r in rows] == ["CHNCXR_0001_0"] and rows[0]["dice"] == both["CHNCXR_0001_0"]["dice"]
    (kaggle_tree / "CXR_png" / "CHNCXR_0001_0.png").write_bytes(b"")
    assert main([*base, "--output", str(tmp_path / "none")]) == 1
    assert "none of the 2 labelled images could be scored" in caplog.text
    assert not (tmp_path / "none" / "summary.json").exists()
