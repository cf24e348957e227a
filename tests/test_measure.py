"""The mean confidence and the quality flags (``lungseg.inference.measure``), on tiny arrays with known answers."""

import numpy as np
import pytest

from lungseg.inference.measure import LOW_CONFIDENCE, confidence, quality_flags


def test_confidence_is_the_models_agreement_with_the_mask_over_mask_and_doubt():
    prob = np.array([[0.95, 0.02], [0.5, 0.0]])
    mask = np.array([[True, True], [False, False]])
    # in the mask: 0.95 and 0.02 (lung grown where the model saw none counts as doubt); outside: 1 - 0.5 for
    # the uncertain pixel; the certain background (p 0.0) is left out
    assert confidence(prob, mask) == pytest.approx((0.95 + 0.02 + 0.5) / 3)


def test_a_mask_the_model_agrees_with_is_confident_and_nothing_at_all_is_too():
    prob = np.zeros((8, 8))
    prob[2:6, 2:6] = 0.97
    assert confidence(prob, prob > 0.5) == pytest.approx(0.97)
    assert confidence(np.zeros((4, 4)), np.zeros((4, 4), bool)) == 1.0


def test_a_mask_beside_what_the_model_found_falls_below_the_flag():
    prob = np.zeros((8, 8))
    prob[:, :4] = 0.95
    mask = np.zeros((8, 8), bool)
    mask[:, 4:] = True  # the mask where the model saw background, the model's lung left out (p 0.95 > 0.9)
    conf = confidence(prob, mask)
    assert conf == pytest.approx(0.0) and "low_confidence" in quality_flags(100, 100, 0.3, conf)
    assert quality_flags(100, 100, 0.3, LOW_CONFIDENCE) == []  # at the threshold: not flagged


def test_flags_name_what_looks_wrong():
    assert quality_flags(0, 0, 0.0, 1.0) == ["no_lung"]
    assert quality_flags(100, 5, 0.3, 0.95) == ["one_lung"]
    assert quality_flags(100, 100, 0.6, 0.95) == ["fraction_out_of_range"]
