"""Heart beside the lungs: model-free predictors with known answers, outputs, measurements and CTR."""

import csv

import numpy as np
import pytest
import torch
from PIL import Image

from lungseg.inference.batch import SegmentOptions, run_segment
from lungseg.inference.jobs import find_jobs
from lungseg.inference.segmenter import Segmenter
from lungseg.model.unet import ModelConfig


class Band(torch.nn.Module):
    """Probability 1 where the input intensity lies within 0.1 of ``centre``, else 0."""

    def __init__(self, centre: float) -> None:
        super().__init__()
        self.centre = centre
        self.config = ModelConfig(base_channels=2, depth=2)

    def forward(self, x):
        return torch.where((x - self.centre).abs() < 0.1, 10.0, -10.0)


def film() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Background 0.1, lungs 0.6 (columns 10-44 and 80-119), heart 0.3 (columns 40-89, below and between)."""
    image = np.full((128, 128), 26, np.uint8)  # 8-bit: the reader divides by 255, values stay put
    lungs = np.zeros(image.shape, bool)
    lungs[20:100, 10:45] = True
    lungs[20:100, 80:120] = True
    heart = np.zeros(image.shape, bool)
    heart[70:110, 40:90] = True
    heart &= ~lungs
    image[lungs], image[heart] = 153, 77
    return image, lungs, heart


def segmenter() -> Segmenter:
    lung = Segmenter(Band(0.6), 128, "none", threshold=0.5)  # the film's own size: no resampling
    return lung.with_heart(Segmenter(Band(0.3), 128, "none", threshold=0.5, target="heart"))


def test_heart_labels_measurements_and_ctr(no_band_crop):
    image, lungs, heart = film()
    result = segmenter()(image)
    assert (result.heart == heart).all() and (result.mask == lungs).all()
    assert set(np.unique(result.labels)) == {0, 1, 2, 3} and (result.labels[heart] == 3).all()
    m = result.measurements
    assert m["thorax_width_px"] == 110 and m["heart_width_px"] == 50  # columns 10..119 and 40..89
    assert m["ctr"] == pytest.approx(50 / 110) and m["ctr_above_0.5"] == 0
    assert m["heart_area_px"] == heart.sum()


def test_segment_writes_the_heart_and_its_columns(tmp_path):
    image, _, heart = film()
    Image.fromarray(image).save(tmp_path / "film.png")
    out = tmp_path / "out"
    assert run_segment(segmenter(), find_jobs([tmp_path / "film.png"], out), SegmentOptions(out)) == 0
    written = np.asarray(Image.open(out / "film_heart.png")) > 0
    assert (written == heart).all()
    row = next(csv.DictReader((out / "measurements.csv").open()))
    assert float(row["ctr"]) == pytest.approx(50 / 110, abs=1e-5) and row["ctr_above_0.5"] == "0"
    overlay = np.asarray(Image.open(out / "film_overlay.png").convert("RGB"))  # a palette PNG
    assert (overlay == (0, 255, 120)).all(axis=-1).any()  # the thorax width line is drawn


def test_a_lung_model_cannot_serve_as_the_heart():
    with pytest.raises(ValueError, match="target: heart"):
        Segmenter(Band(0.6), 64, "none", threshold=0.5).with_heart(Segmenter(Band(0.3), 64, "none", threshold=0.5))


class LungsAndHeart(torch.nn.Module):
    """A lungs + heart "model": channel 0 is Band(0.6), channel 1 is Band(0.3)."""

    def __init__(self) -> None:
        super().__init__()
        self.config = ModelConfig(base_channels=2, depth=2, out_channels=2)

    def forward(self, x):
        return torch.cat([Band(0.6)(x), Band(0.3)(x)], dim=1)


def test_one_model_with_a_heart_channel_gives_lungs_heart_and_ctr(tmp_path, no_band_crop):
    image, lungs, heart = film()
    joint = Segmenter(LungsAndHeart(), 128, "none", threshold=0.5, target="lungs+heart", heart_threshold=0.5)
    assert joint.has_heart and joint.target == "lungs" and joint.heart is None
    result = joint(image)
    assert (result.heart == heart).all() and (result.mask == lungs).all()
    assert result.measurements["ctr"] == pytest.approx(50 / 110)
    Image.fromarray(image).save(tmp_path / "film.png")
    out = tmp_path / "out"
    assert run_segment(joint, find_jobs([tmp_path / "film.png"], out), SegmentOptions(out)) == 0
    assert ((np.asarray(Image.open(out / "film_heart.png")) > 0) == heart).all()
