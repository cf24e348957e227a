"""The outline-error census (``benchmarks/outline_errors.py``) on a square and its shifted copy, whose answers are
counted by hand."""

import sys

import numpy as np

from .test_docs_figures import BENCH


def census():
    sys.path.insert(0, str(BENCH))
    import outline_errors

    return outline_errors


def test_a_mask_shifted_two_pixels_puts_its_errors_in_the_near_bands():
    truth = np.zeros((40, 40), bool)
    truth[10:30, 10:30] = True
    pred = np.roll(truth, 2, axis=1)  # 40 extra pixels at columns 30-31, 40 missed at columns 10-11
    c = census().film_errors(pred, truth)
    assert c["extra_within_1.5px"] == 20 and c["extra_1.5_to_3px"] == 20 and c["extra_beyond_3px"] == 0
    # column 11's top and bottom pixels lie next to the background above and below: distance 1
    assert c["missed_within_1.5px"] == 22 and c["missed_1.5_to_3px"] == 18
    assert (c["extra_upper_fifth"], c["extra_middle"], c["extra_lower_fifth"]) == (8, 24, 8)


def test_summary_shares_add_up_per_direction_and_sets_come_from_names():
    truth = np.zeros((40, 40), bool)
    truth[10:30, 10:30] = True
    m = census()
    c = m.film_errors(np.roll(truth, 2, axis=1), truth)
    out = m.summarise([("MCUCXR_0001_0", 0.9, c), ("1.2.3", 0.8, c), ("MCUCXR_0002_1", 0.7, c)])
    assert out["montgomery"]["films"] == 2 and out["montgomery"]["dice"] == 0.8 and out["wingspan"]["films"] == 1
    row = out["montgomery"]
    assert row["wrong_pixels"] == 160
    assert sum(row[f"{d}_{b}"] for d in ("extra", "missed") for b in ("within_1.5px", "1.5_to_3px", "beyond_3px")) == 1
    assert row["extra_upper_fifth"] + row["extra_middle"] + row["extra_lower_fifth"] == 0.5
