import numpy as np
import pytest

from lungseg.training.weightmap import class_weights, object_distances, unet_weight_map


def two_discs(gap: int, size: int = 80, radius: int = 15) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    cy, c1 = size // 2, size // 2 - radius - gap // 2 - 1
    c2 = c1 + 2 * radius + gap + 1
    return ((yy - cy) ** 2 + (xx - c1) ** 2 <= radius**2) | ((yy - cy) ** 2 + (xx - c2) ** 2 <= radius**2)


def test_class_weights_balance_the_classes():
    mask = np.zeros((10, 10), bool)
    mask[:2] = True  # 20 lung, 80 background
    w = class_weights(mask)
    assert w[0, 0] == pytest.approx(100 / 40) and w[9, 9] == pytest.approx(100 / 160)
    assert w[mask].sum() == pytest.approx(w[~mask].sum())
    assert np.all(class_weights(np.zeros((4, 4), bool)) == 1)


def test_object_distances_by_hand():
    mask = np.zeros((1, 9), bool)
    mask[0, 0] = mask[0, 8] = True
    d1, d2 = object_distances(mask)
    assert d1[0, 4] == 4 and d2[0, 4] == 4
    assert d1[0, 1] == 1 and d2[0, 1] == 7


def test_weight_high_in_the_gap_and_class_weight_far_away():
    mask = two_discs(gap=2)
    w = unet_weight_map(mask, w0=10, sigma=5)
    wc = class_weights(mask)
    gap_pixel = (40, 40)
    assert not mask[gap_pixel]
    # in the gap d1 + d2 is about 2 px: the border term is nearly w0
    assert w[gap_pixel] - wc[gap_pixel] > 8
    # far from both discs the border term vanishes: w equals w_c
    assert w[0, 0] == pytest.approx(wc[0, 0], abs=1e-6)
    # the gap outweighs the open background beside the discs
    assert w[gap_pixel] > 5 * w[40, 2]


def test_single_object_has_no_border_term():
    mask = np.zeros((30, 30), bool)
    mask[10:20, 10:20] = True
    np.testing.assert_allclose(unet_weight_map(mask), class_weights(mask))
