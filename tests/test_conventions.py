"""Anatomical-convention masks (v7 pediatric) trained on the zones both lung conventions agree on."""

import json

import numpy as np
import pytest

from lungseg.data.layouts import discover, labelled
from lungseg.training.config import TrainConfig
from lungseg.training.conventions import agreement_zone, anatomical_samples, visible_field
from lungseg.training.dataset import SegmentationDataset

from .conftest import ellipse_pair


def test_agreement_zone_leaves_out_each_lungs_medial_lower_part():
    mask = ellipse_pair(64)[1] > 0  # lungs centred near x = 0.3 and 0.7 of the width, y from 0.2 to 0.8
    zone = agreement_zone(mask)
    assert zone[12:32].all()  # the upper half of both lungs counts whole
    left_lung_rows = mask[40:50, :32]
    xs = np.nonzero(left_lung_rows.any(0))[0]
    medial, lateral = xs[-3], xs[2]  # the left lung's medial side faces the centre
    assert not zone[45, medial] and zone[45, lateral]
    right_xs = np.nonzero(mask[40:50, 32:].any(0))[0] + 32
    assert not zone[45, right_xs[2]] and zone[45, right_xs[-3]]
    assert zone[60, medial] and zone[60, right_xs[2]]  # below the lungs (from row 52) the abdomen counts
    assert agreement_zone(np.zeros((16, 16), bool)).all()  # no lung: nothing to leave out


def test_visible_field_takes_the_heart_out_of_an_anatomical_mask():
    lungs = np.zeros((40, 40), bool)
    lungs[5:35, 4:18] = lungs[5:35, 22:36] = True
    lungs[22:35, 18:22] = True  # the anatomical mask runs behind the heart
    heart = np.zeros((40, 40), bool)
    heart[20:36, 14:28] = True
    target, care = visible_field(lungs, heart, band=2)
    assert not (target & heart).any() and (target == (lungs & ~heart)).all()
    assert care[28, 20] and not target[28, 20]  # deep in the heart: counted, as not lung
    assert not care[20, 16] and not care[27, 14]  # on the heart's outline: left out
    assert care[10, 10] and target[10, 10]  # the upper lung counts as lung
    same, zone = visible_field(lungs, np.zeros_like(heart))
    assert (same == lungs).all() and (zone == agreement_zone(lungs)).all()  # no heart: the zone alone


def test_care_zone_zeroes_the_lung_weight_and_moves_with_the_masks(kaggle_tree):
    samples = labelled(discover(kaggle_tree)[1])[:2]
    care = np.ones((32, 32), bool)
    care[:, :10] = False
    ds = SegmentationDataset(samples, 32, weight_map=lambda m: m + 1.0, cares=[care, None])
    item = ds[0]
    assert item["mask"].shape == (1, 32, 32) and item["weight"].shape == (1, 32, 32)
    weight = item["weight"][0].numpy()
    assert (weight[:, :10] == 0).all() and (weight[:, 10:] >= 1).all()
    assert (ds[1]["weight"] >= 1).all()  # None: every pixel counts
    heart = np.zeros((32, 32), bool)
    heart[12:20, 12:20] = True
    both = SegmentationDataset(samples, 32, weight_map=lambda m: m + 1.0, hearts=[heart, None], cares=[care, None])
    item = both[0]
    assert item["mask"].shape == (2, 32, 32) and (item["mask"][1].bool().numpy() == heart).all()
    assert (item["weight"][0, :, :10] == 0).all() and (item["weight"][1] >= 1).all()  # the heart keeps its weight
    flip = SegmentationDataset(samples, 32, weight_map=lambda m: m + 1.0, cares=[care, None],
                               augment=lambda im, m, rng: (im[:, ::-1], m[..., ::-1]))  # fmt: skip
    assert (flip[0]["weight"][0, :, -10:] == 0).all() and (flip[0]["weight"][0, :, :-10] >= 1).all()
    with pytest.raises(ValueError, match="weight_map"):
        SegmentationDataset(samples, 32, cares=[care, None])
    given = np.zeros((32, 32), bool)
    given[4:8, 4:8] = True
    replaced = SegmentationDataset(samples, 32, lungs=[given, None])
    assert (replaced[0]["mask"][0].bool().numpy() == given).all()
    assert (replaced[1]["mask"] == SegmentationDataset(samples, 32)[1]["mask"]).all()  # None: the file's mask


def test_anatomical_samples_come_from_the_split_train_list(kaggle_tree, tmp_path):
    names = [s.name for s in labelled(discover(kaggle_tree)[1])]
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": names[:3], "val": names[3:4], "test": names[4:]}))
    assert [s.name for s in anatomical_samples(kaggle_tree, split)] == names[:3]
    assert [s.name for s in anatomical_samples(kaggle_tree, split, limit=2)] == names[:2]
    with pytest.raises(ValueError, match="anatomical_split"):
        anatomical_samples(kaggle_tree, "")
    with pytest.raises(ValueError, match="weighted_ce"):
        TrainConfig(anatomical_data=str(kaggle_tree), anatomical_split=str(split), loss="dice")
    with pytest.raises(ValueError, match="heart_teacher"):
        TrainConfig(anatomical_data=str(kaggle_tree), anatomical_split=str(split), anatomical_heart=True)


def test_training_with_an_anatomical_set(kaggle_tree, tmp_path, caplog):
    """The films of anatomical_split's train list join training; their val/test films never do."""
    from PIL import Image

    from lungseg.model.checkpoint import read_checkpoint
    from lungseg.model.unet import ModelConfig
    from lungseg.training.loop import train

    other = tmp_path / "anatomical"
    names = [f"child{k}" for k in range(5)]
    for folder in ("images", "masks"):
        (other / folder).mkdir(parents=True)
    for k, name in enumerate(names):
        image, mask = ellipse_pair(32, seed=10 + k)
        Image.fromarray(image).save(other / "images" / f"{name}.png")
        Image.fromarray(mask).save(other / "masks" / f"{name}.png")
    split = tmp_path / "v7.json"
    split.write_text(json.dumps({"train": names[:3], "val": names[3:], "test": []}))
    tiny = {"model": ModelConfig(base_channels=4, depth=2), "image_size": 32, "epochs": 1, "batch_size": 2}
    config = TrainConfig(data=str(kaggle_tree), output=str(tmp_path / "run"), anatomical_data=str(other),
                         anatomical_split=str(split), **tiny)  # fmt: skip
    with caplog.at_level("INFO"):
        train(config)
    assert "anatomical-convention films: 3" in caplog.text
    payload = read_checkpoint(tmp_path / "run" / "best.pt")
    assert payload["train_config"]["anatomical_split"] == str(split)
    assert not set(names) & set(payload["split"]["train"] + payload["split"]["val"])  # kept apart from the main split


def test_anatomical_targets_with_a_heart_teacher(kaggle_tree, monkeypatch):
    """With a heart model the anatomical masks lose the heart, which is then scored as not lung."""
    from lungseg.inference.preprocess import resize_mask
    from lungseg.io.reader import read_mask
    from lungseg.training import heart_labels
    from lungseg.training.conventions import anatomical_targets

    samples = labelled(discover(kaggle_tree)[1])[:2]
    zones, targets = anatomical_targets(samples, 32)
    assert targets == [None, None] and zones[0].shape == (32, 32)
    heart = np.zeros((32, 32), bool)
    heart[14:26, 12:20] = True
    monkeypatch.setattr(heart_labels, "teacher_masks", lambda samples, size, teacher, device: {
        s.name: heart for s in samples})  # fmt: skip
    cares, lungs = anatomical_targets(samples, 32, teacher="any heart model")
    for sample, care, lung in zip(samples, cares, lungs, strict=True):
        anatomical = resize_mask(read_mask(sample.mask), 32, 32)
        expected_lung, expected_care = visible_field(anatomical, heart)
        assert (lung == anatomical & ~heart).all() and (lung == expected_lung).all()
        assert (care == expected_care).all()
    monkeypatch.undo()
    with pytest.raises(ValueError, match="not a heart model"):
        anatomical_targets(samples, 32, teacher="lungseg-unet-default", device="cpu")


def test_teacher_hearts_off_keeps_the_teacher_off_the_main_films(kaggle_tree, monkeypatch):
    """teacher_hearts: false -> films without a heart mask get no heart target (the teacher labels none)."""
    from lungseg.training import heart_labels, loop

    samples = labelled(discover(kaggle_tree)[1])[:3]
    heart = np.zeros((32, 32), bool)
    heart[10:20, 10:20] = True
    monkeypatch.setattr(heart_labels, "teacher_masks", lambda samples, size, teacher, device: {
        s.name: heart for s in samples})  # fmt: skip
    for teacher_hearts, expected in ((True, 100), (False, 0)):
        config = TrainConfig(target="lungs+heart", heart_teacher="any heart model", teacher_hearts=teacher_hearts,
                             image_size=32)  # fmt: skip
        train_ds, _ = loop.make_datasets(config, samples, samples[:1])
        assert train_ds.has_heart.tolist() == [float(teacher_hearts)] * 3
        assert train_ds.masks[:, 1].sum(axis=(1, 2)).tolist() == [expected] * 3
