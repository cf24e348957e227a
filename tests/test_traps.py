"""Traps a code review found; each test failed before its fix."""

import numpy as np
import pytest
import torch
from PIL import Image

from lungseg.data.layouts import Sample
from lungseg.evaluation.calibrate import calibrate_threshold
from lungseg.inference.postprocess import LEFT_LUNG, RIGHT_LUNG, lung_labels, postprocess
from lungseg.inference.preprocess import equalize_histogram
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import from_array, read_xray

from .test_train import ProbIsImage


def ellipse(shape, cy, cx, ry, rx):
    yy, xx = np.mgrid[: shape[0], : shape[1]] / np.array(shape)[:, None, None]
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1


@pytest.mark.parametrize("centre", [0.44, 0.47, 0.30])
def test_off_centre_lung_keeps_its_partner_and_its_side(centre):
    first = ellipse((200, 300), 0.5, centre, 0.3, 0.07)
    second = ellipse((200, 300), 0.5, centre + 0.3, 0.3, 0.07)
    out = postprocess(first | second)
    assert (out == (first | second)).all()
    labels = lung_labels(out)
    assert (labels[first] == RIGHT_LUNG).all() and (labels[second] == LEFT_LUNG).all()


def test_chest_on_the_right_of_a_padded_film_keeps_both_lungs():
    lungs = ellipse((200, 200), 0.5, 0.3, 0.3, 0.1) | ellipse((200, 200), 0.5, 0.7, 0.3, 0.1)
    padded = np.pad(lungs, ((0, 0), (160, 0)))  # chest now between 0.55 and 0.9 of the width
    labels = lung_labels(postprocess(padded))
    assert (postprocess(padded) == padded).all()
    assert (labels[:, :260][padded[:, :260]] == RIGHT_LUNG).all()
    assert (labels[:, 260:][padded[:, 260:]] == LEFT_LUNG).all()


def test_joined_lungs_are_cut_at_the_waist_and_noise_is_dropped():
    a, b = ellipse((200, 200), 0.5, 0.3, 0.3, 0.12), ellipse((200, 200), 0.5, 0.7, 0.3, 0.12)
    joined = a | b
    joined[95:105, 40:160] = True  # a bridge through the mediastinum
    joined[5:8, 5:8] = True  # a speck
    labels = lung_labels(postprocess(joined))
    assert labels[5, 5] == 0 and labels[100, 60] == RIGHT_LUNG and labels[100, 140] == LEFT_LUNG


def test_lone_lung_side_follows_its_shape_not_the_midline():
    # the patient's left lung alone, framed on the image's left: its lowest point (the lateral
    # costophrenic angle) is on the right, so it is the image-right lung whatever its position
    lung = ellipse((200, 200), 0.5, 0.3, 0.3, 0.1)
    lung &= ~(np.mgrid[:200, :200][0] > 200 * 0.62 + (np.arange(200) - 40) * 1.2)[:, :]
    labels = lung_labels(lung)
    assert (labels[lung] == LEFT_LUNG).all()


def test_integer_arrays_scale_by_their_real_range():
    rgb = np.zeros((8, 8, 3), np.int64)
    rgb[:4] = 200
    assert from_array(rgb).pixels.max() == pytest.approx(200 / 255, abs=1e-3)
    grey = np.arange(64, dtype=np.int64).reshape(8, 8) * 4
    assert from_array(grey).pixels.max() == pytest.approx(252 / 255)


def test_twelve_bit_png_keeps_its_grey_levels(tmp_path):
    values = (np.arange(4096, dtype=np.uint16).reshape(64, 64))  # 12-bit data in a 16-bit PNG
    Image.fromarray(values).save(tmp_path / "x12.png")
    pixels = read_xray(tmp_path / "x12.png").pixels
    assert pixels.max() == pytest.approx(1.0) and len(np.unique(pixels)) == 4096
    assert len(np.unique(equalize_histogram(pixels))) >= 1000  # was 64 levels


def test_threshold_is_calibrated_on_the_masks_that_are_written(tmp_path):
    samples = []
    for k in range(2):
        lungs = ellipse((64, 64), 0.5, 0.3, 0.3, 0.12) | ellipse((64, 64), 0.5, 0.7, 0.3, 0.12)
        holes = ellipse((64, 64), 0.5, 0.3, 0.1, 0.04) | ellipse((64, 64), 0.5, 0.7, 0.1, 0.04)
        prob = np.where(lungs, 0.38, 0.15)
        prob[holes] = 0.30 - 0.01 * k
        Image.fromarray(np.round(prob * 255).astype(np.uint8)).save(tmp_path / f"i{k}.png")
        Image.fromarray(lungs.astype(np.uint8) * 255).save(tmp_path / f"m{k}.png")
        samples.append(Sample(f"i{k}", tmp_path / f"i{k}.png", tmp_path / f"m{k}.png", "other"))
    raw = Segmenter(ProbIsImage(), 64, "none", threshold=0.5, postprocess=False)
    clean = Segmenter(ProbIsImage(), 64, "none", threshold=0.5, postprocess=True)
    assert calibrate_threshold(raw, samples)[0] == 0.25  # holes at 0.29-0.30 need t <= 0.25 unfilled
    threshold, means = calibrate_threshold(clean, samples)
    assert threshold == 0.35 and means[0.35] == 1.0  # post-processing fills the holes


def test_segmenter_leaves_the_callers_model_alone():
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1))
    model.config = None
    model.train()
    Segmenter(model, 32, "none", threshold=0.5)
    assert model.training
    with pytest.raises(TypeError):
        Segmenter(model, 32, "none")  # no silent 0.5: the threshold is always said


def test_fast_hole_filling_equals_scipy():
    from scipy import ndimage

    from lungseg.inference.postprocess import fill_holes

    rng = np.random.default_rng(0)
    for density in (0.3, 0.5, 0.7):
        mask = rng.random((97, 131)) < density
        assert np.array_equal(fill_holes(mask), ndimage.binary_fill_holes(mask))
    ring = ellipse((64, 64), 0.5, 0.5, 0.3, 0.3) & ~ellipse((64, 64), 0.5, 0.5, 0.1, 0.1)
    assert fill_holes(ring).sum() == ellipse((64, 64), 0.5, 0.5, 0.3, 0.3).sum()
