"""The cardiothoracic ratio on shapes with known widths, and on the Wingspan reference CTRs."""

import csv
import math

import numpy as np
import pytest

from lungseg.inference.ctr import cardiothoracic_ratio
from lungseg.io.reader import read_mask


def test_rectangles_give_the_exact_ratio():
    lungs = np.zeros((100, 200), bool)
    lungs[10:90, 20:80] = True  # image-left lung: columns 20..79
    lungs[20:95, 110:181] = True  # image-right lung: columns 110..180
    heart = np.zeros_like(lungs)
    heart[50:80, 70:150] = True  # columns 70..149
    heart[60, 60:65] = True  # a spur reaching column 60: the extent is 60..149, 90 columns
    ctr = cardiothoracic_ratio(heart, lungs)
    assert (ctr.heart.width, ctr.thorax.width, ctr.thorax.left, ctr.thorax.right) == (90, 161, 20, 180)
    assert ctr.ratio == pytest.approx(90 / 161)


def test_empty_masks_have_no_ratio():
    assert math.isnan(cardiothoracic_ratio(np.zeros((5, 5), bool), np.ones((5, 5), bool)).ratio)


def test_matches_the_wingspan_reference_ctr(shared_data):
    root = shared_data / "wingspan"
    with (root / "ctr.csv").open() as f:
        reference = {r["image"]: float(r["ctr"]) for r in csv.DictReader(f)}
    errors = []
    for name, value in sorted(reference.items())[:40]:
        ctr = cardiothoracic_ratio(read_mask(root / "masks_heart" / name), read_mask(root / "masks" / name))
        errors.append(abs(ctr.ratio - value))
    assert np.mean(errors) < 0.002 and max(errors) < 0.005
