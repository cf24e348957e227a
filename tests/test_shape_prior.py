"""The shape prior completes a lost lung from its partner's mirror image, and leaves healthy pairs alone."""

import numpy as np

from lungseg.inference.postprocess import LEFT_LUNG, RIGHT_LUNG
from lungseg.inference.shape_prior import complete_lungs, midline, mirror


def pair(h: int = 100, w: int = 100) -> np.ndarray:
    """Two 60x20 lungs, columns 20-39 and 60-79: their midline is column 49.5."""
    labels = np.zeros((h, w), np.uint8)
    labels[20:80, 20:40] = RIGHT_LUNG
    labels[20:80, 60:80] = LEFT_LUNG
    return labels


def test_mirror_reflects_across_a_column():
    mask = np.zeros((5, 10), bool)
    mask[2, 1:3] = True
    np.testing.assert_array_equal(np.nonzero(mirror(mask, 4.5))[1], [7, 8])  # 9 - x


def test_a_healthy_pair_is_unchanged():
    labels = pair()
    np.testing.assert_array_equal(complete_lungs(labels), labels)
    assert complete_lungs(np.zeros((50, 50), np.uint8)).sum() == 0


def test_a_lung_that_lost_its_lower_zone_is_completed():
    full = pair()
    labels = full.copy()
    labels[35:80, 60:80] = 0  # the image-right lung keeps only its top quarter
    out = complete_lungs(labels)
    np.testing.assert_array_equal(out, full)  # the mirror image of the partner is exactly the lost lung


def test_a_lung_lost_entirely_is_placed_beside_its_partner_and_kept_off_the_heart():
    labels = pair()
    labels[labels == LEFT_LUNG] = 0
    heart = np.zeros_like(labels, bool)
    heart[60:80, 45:65] = True
    out = complete_lungs(labels, heart)
    new = out == LEFT_LUNG
    assert np.array_equal(out == RIGHT_LUNG, labels == RIGHT_LUNG)  # the partner is untouched
    cols = np.nonzero(new.any(axis=0))[0]
    # mirrored across 39 + 0.23 * 20 / 2 = 41.3: columns 44-63, rows 20-79, less the heart's 20 x 19 corner
    np.testing.assert_array_equal(cols[[0, -1]], [44, 63])
    assert not (new & heart).any() and new.sum() == 60 * 20 - 20 * 19
    assert midline(labels == RIGHT_LUNG, labels == LEFT_LUNG, True) == 39 + 0.23 * 20 / 2


def test_the_pipeline_completes_and_flags_only_when_asked():
    """finish() on logits of a pair whose image-right lung kept only its top: the completed lung and the
    lung_completed flag with ``complete``, the fragment without; no model needed."""
    import torch

    from lungseg.inference.pipeline import FinishOptions, finish
    from lungseg.io.reader import XRay

    labels = pair()
    labels[35:80, 60:80] = 0
    logits = torch.from_numpy(np.where(labels > 0, 8.0, -8.0).astype(np.float32))[None]
    xray = XRay(np.zeros((100, 100), np.float32))
    kept = finish(xray, logits, "x", FinishOptions(complete=False))
    completed = finish(xray, logits, "x", FinishOptions(complete=True))
    assert (kept.labels == LEFT_LUNG).sum() == 15 * 20 and "lung_completed" not in kept.measurements["flags"]
    assert (completed.labels == LEFT_LUNG).sum() == 60 * 20 and "lung_completed" in completed.measurements["flags"]


def test_a_lost_base_is_grown_down_from_the_partner_and_kept_off_the_heart():
    full = pair()
    labels = full.copy()
    labels[55:80, 20:40] = 0  # the image-left lung stops 25 of 60 rows (0.42 of its partner's height) too high
    heart = np.zeros_like(labels, bool)
    heart[70:80, 35:50] = True  # the heart shadow overlaps the mirror image's inner lower corner
    np.testing.assert_array_equal(complete_lungs(labels, heart), labels)  # off by default (shape_prior_base.md)
    out = complete_lungs(labels, heart, base_gap=0.35)
    np.testing.assert_array_equal(out == RIGHT_LUNG, (full == RIGHT_LUNG) & ~heart)
    np.testing.assert_array_equal(out == LEFT_LUNG, full == LEFT_LUNG)  # the partner is untouched


def test_a_base_asymmetry_within_the_healthy_range_is_left_alone():
    labels = pair()
    labels[62:80, 20:40] = 0  # 18 of 60 rows: 0.30, below 0.35 (the 99.5th percentile of manual pairs)
    np.testing.assert_array_equal(complete_lungs(labels, base_gap=0.35), labels)
    np.testing.assert_array_equal(complete_lungs(labels, base_gap=0.25) == RIGHT_LUNG, pair() == RIGHT_LUNG)
