import math

import numpy as np
import pytest

from lungseg.evaluation.metrics import all_metrics, distance_metrics, overlap_metrics, surface


def square(size, top, left, side):
    m = np.zeros((size, size), bool)
    m[top : top + side, left : left + side] = True
    return m


def test_overlap_values_by_hand():
    target = square(10, 0, 0, 4)  # 16 px
    pred = square(10, 0, 2, 4)  # 16 px, 8 px overlap
    m = overlap_metrics(pred, target)
    assert m["dice"] == pytest.approx(2 * 8 / 32)
    assert m["iou"] == pytest.approx(8 / 24)
    assert m["precision"] == pytest.approx(0.5)
    assert m["recall"] == pytest.approx(0.5)
    assert m["pixel_accuracy"] == pytest.approx((100 - 16) / 100)


def test_identical_masks():
    m = all_metrics(square(20, 3, 3, 9), square(20, 3, 3, 9))
    assert m["dice"] == m["iou"] == m["precision"] == m["recall"] == m["pixel_accuracy"] == 1.0
    assert m["hd95"] == 0.0 and m["assd"] == 0.0


def test_shifted_square_distances():
    # every boundary pixel of a square shifted by 3 columns is at most 3 px from the other boundary
    target, pred = square(40, 10, 10, 10), square(40, 10, 13, 10)
    d = distance_metrics(pred, target)
    assert d["hd95"] == pytest.approx(3.0)
    assert 0 < d["assd"] < 3.0


def test_single_pixel_distance():
    a, b = np.zeros((5, 9), bool), np.zeros((5, 9), bool)
    a[2, 1], b[2, 5] = True, True
    d = distance_metrics(a, b)
    assert d["hd95"] == pytest.approx(4.0) and d["assd"] == pytest.approx(4.0)


def test_empty_cases():
    empty, full = np.zeros((6, 8), bool), square(8, 1, 1, 3)[:6]
    both = all_metrics(empty, empty)
    assert both["dice"] == both["iou"] == both["precision"] == both["recall"] == 1.0
    assert both["hd95"] == both["assd"] == 0.0
    missed = all_metrics(empty, full)  # nothing predicted
    assert missed["dice"] == missed["iou"] == missed["recall"] == missed["precision"] == 0.0
    assert missed["hd95"] == pytest.approx(math.hypot(6, 8)) == missed["assd"]
    spurious = all_metrics(full, empty)  # lung predicted where there is none
    assert spurious["dice"] == 0.0 and spurious["hd95"] == pytest.approx(10.0)


def test_surface_of_square_is_its_outline():
    assert surface(square(10, 2, 2, 5)).sum() == 16


def test_shape_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match="shape"):
        all_metrics(np.zeros((3, 3)), np.zeros((3, 4)))
