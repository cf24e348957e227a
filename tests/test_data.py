import json
import logging

import numpy as np
import pytest
from PIL import Image

from lungseg.data.layouts import detect_layout, discover, labelled, load_split, make_split, save_split, select
from lungseg.inference.preprocess import equalize_histogram, preprocess, resize_mask
from lungseg.io.reader import read_mask, read_xray
from lungseg.training.dataset import SegmentationDataset

from .conftest import ellipse_pair


def test_kaggle_layout_pairs_masks_by_both_conventions(kaggle_tree, caplog):
    layout, samples = discover(kaggle_tree)
    assert layout == "kaggle" and len(samples) == 10
    by_name = {s.name: s for s in samples}
    assert by_name["CHNCXR_0001_0"].mask.name == "CHNCXR_0001_0_mask.png"
    assert by_name["MCUCXR_0002_1"].mask.name == "MCUCXR_0002_1.png"
    assert by_name["CHNCXR_0006_0"].mask is None
    with caplog.at_level(logging.INFO):
        kept = labelled(samples)
    assert len(kept) == 9
    summary = [r for r in caplog.records if "no mask" in r.getMessage()]
    assert len(summary) == 1 and "1 of 10" in summary[0].getMessage()


def test_folders_layout(tmp_path):
    for d in ("images", "masks"):
        (tmp_path / d).mkdir()
    image, mask = ellipse_pair(32)
    Image.fromarray(image).save(tmp_path / "images" / "a.png")
    Image.fromarray(mask).save(tmp_path / "masks" / "a_mask.png")
    Image.fromarray(image).save(tmp_path / "images" / "b.jpg")
    Image.fromarray(mask // 255).save(tmp_path / "masks" / "b.png")  # 0/1 mask
    layout, samples = discover(tmp_path)
    assert layout == "folders"
    assert [(s.name, s.mask.name) for s in samples] == [("a", "a_mask.png"), ("b", "b.png")]
    assert read_mask(samples[1].mask).sum() == (mask > 0).sum()


def test_unknown_layout_says_what_is_expected(tmp_path):
    with pytest.raises(ValueError, match="CXR_png"):
        detect_layout(tmp_path)


def test_original_protocol(kaggle_tree):
    _, samples = discover(kaggle_tree)
    split = make_split(samples, "original", seed=3)
    assert split["train"] == [f"CHNCXR_{i:04d}_0" for i in range(1, 6)]  # the unmasked one left out
    assert len(split["val"]) == 2 and len(split["test"]) == 2
    assert sorted(split["val"] + split["test"]) == [f"MCUCXR_{i:04d}_1" for i in range(1, 5)]
    assert make_split(samples, "original", seed=3) == split


def test_combined_protocol_keeps_the_montgomery_test_half(tmp_path):
    from .conftest import write_kaggle_tree

    _, samples = discover(write_kaggle_tree(tmp_path / "k", n_shenzhen=21, n_montgomery=8, size=16))
    original = make_split(samples, "original", seed=5)
    combined = make_split(samples, "combined", seed=5)
    m_test = [n for n in combined["test"] if n.startswith("MCUCXR")]
    assert m_test == original["test"]  # the same Montgomery test half in both protocols
    s_test = [n for n in combined["test"] if n.startswith("CHNCXR")]
    assert len(s_test) == 2  # 10% of the 20 labelled Shenzhen images
    assert sorted(combined["val"] + [n for n in combined["train"] if n.startswith("MCUCXR")]) == original["val"]
    everything = combined["train"] + combined["val"] + combined["test"]
    assert len(everything) == len(set(everything)) == 28


def test_random_protocol_and_split_file_round_trip(kaggle_tree, tmp_path):
    _, samples = discover(kaggle_tree)
    split = make_split(samples, "random", seed=1, fractions=(0.5, 0.25, 0.25))
    assert [len(split[k]) for k in ("train", "val", "test")] == [4, 2, 3]
    assert not set(split["train"]) & set(split["test"])
    save_split(split, tmp_path / "split.json")
    assert load_split(tmp_path / "split.json") == json.loads((tmp_path / "split.json").read_text())
    assert select(samples, split["test"])[0].name == split["test"][0]
    with pytest.raises(ValueError, match="not in the data"):
        select(samples, ["nope"])


def test_repeat_by_source(kaggle_tree):
    from lungseg.data.layouts import repeat_by_source

    samples = labelled(discover(kaggle_tree)[1])
    repeated = repeat_by_source(samples, {"montgomery": 3})
    assert len(repeated) == 5 + 3 * 4
    assert sum(s.source == "montgomery" for s in repeated) == 12
    with pytest.raises(ValueError, match="source_repeat"):
        from lungseg.training.config import TrainConfig

        TrainConfig(source_repeat={"mars": 2})


def test_image_modes_become_unit_float(tmp_path):
    gray, _ = ellipse_pair(16)
    rgb = np.stack([gray] * 3, -1)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    Image.fromarray(np.dstack([rgb, np.full_like(gray, 7)])).save(tmp_path / "rgba.png")
    Image.fromarray(gray.astype(np.uint16) * 257).save(tmp_path / "g16.png")
    expected = gray / 255.0
    for name in ("rgb.png", "rgba.png", "g16.png"):
        arr = read_xray(tmp_path / name).pixels
        assert arr.dtype == np.float32 and arr.shape == (16, 16)
        np.testing.assert_allclose(arr, expected, atol=1 / 255)


def test_unreadable_file_names_the_file(tmp_path):
    bad = tmp_path / "text.png"
    bad.write_text("not an image")
    with pytest.raises(ValueError, match=r"text\.png"):
        read_xray(bad)


def test_preprocess_and_mask_resize():
    image = np.linspace(0, 0.5, 64 * 48, dtype=np.float32).reshape(64, 48)
    out = preprocess(image, 32, "equalize")
    assert out.shape == (32, 32) and out.min() == 0.0 and out.max() == pytest.approx(1.0)
    # equalising an already uniform ramp leaves it (nearly) linear
    eq = equalize_histogram(np.linspace(0, 1, 10000).reshape(100, 100))
    np.testing.assert_allclose(eq.ravel(), np.linspace(0, 1, 10000), atol=2e-3)
    mask = np.zeros((64, 64), bool)
    mask[16:48, 16:48] = True
    small = resize_mask(mask, 32, 32)
    assert small.dtype == bool and small.sum() == 16 * 16


def test_dataset_tensors(kaggle_tree):
    _, samples = discover(kaggle_tree)
    ds = SegmentationDataset(labelled(samples)[:3], size=32)
    item = ds[0]
    image, mask = item["image"], item["mask"]
    assert "weight" not in item
    assert image.shape == mask.shape == (1, 32, 32)
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    assert image.min() >= 0.0 and image.max() <= 1.0


def test_the_round_18_split_is_the_pathology_split_less_the_shenzhen_tb_films():
    """configs/no_shenzhen_abnormal_ft.yaml trains on every film of the shipped recipe's split but Shenzhen's TB
    films, whose masks leave opaque zones out; validation and test films must be the same ones."""
    from pathlib import Path

    splits = Path(__file__).resolve().parent.parent / "splits"
    full, less = load_split(splits / "pathology.json"), load_split(splits / "combined_no_shenzhen_abnormal.json")
    assert less["val"] == full["val"] and less["test"] == full["test"]
    dropped = set(full["train"]) - set(less["train"])
    assert set(less["train"]) <= set(full["train"]) and len(dropped) == 259
    assert all(n.startswith("CHNCXR_") and n.endswith("_1") for n in dropped)
    assert not any(n.startswith("CHNCXR_") and n.endswith("_1") for n in less["train"])


def test_the_round_19_split_drops_only_the_tb_films_the_model_puts_much_lung_beside():
    """splits/combined_no_shenzhen_excluding.json is the pathology split less exactly the Shenzhen TB films that
    benchmarks/shenzhen_convention_v63.json lists (the model adds > 10% of the mask's area outside it)."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    full, less = (load_split(root / "splits" / n) for n in ("pathology.json", "combined_no_shenzhen_excluding.json"))
    listed = json.loads((root / "benchmarks" / "shenzhen_convention_v63.json").read_text())["tuberculosis_over_10pct"]
    assert less["val"] == full["val"] and less["test"] == full["test"]
    assert set(full["train"]) - set(less["train"]) == set(listed) and set(less["train"]) <= set(full["train"])
    assert 0 < len(listed) < 50 and all(n.startswith("CHNCXR_") and n.endswith("_1") for n in listed)
